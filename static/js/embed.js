/*
 * formserver embed snippet; README.md lists its options. One iframe per
 * [data-formserver] placeholder, inline or in a popup dialog. The frame's height
 * and events arrive by postMessage, checked for origin, source and shape. The
 * lead token a submission returns stays in this site's own storage, so the
 * form recognises the prospect on a later visit without third-party cookies.
 */
(function () {
  "use strict";
  var CARRIED = ["utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content", "gclid"];

  function frameUrl(placeholder) {
    var url = new URL(placeholder.getAttribute("data-formserver"), document.baseURI);
    var here = new URLSearchParams(window.location.search);
    CARRIED.forEach(function (name) {
      if (here.get(name) && !url.searchParams.has(name)) {
        url.searchParams.set(name, here.get(name));
      }
    });
    if (document.referrer) url.searchParams.set("referrer", document.referrer);
    url.searchParams.set("host", window.location.origin);
    var lead = store("get", url);
    if (lead) url.searchParams.set("lead", lead);
    return url;
  }

  function store(action, url, token) {
    var key = "formserver-lead:" + url.origin + url.pathname.split("/")[2];
    try {
      if (action === "get") return window.localStorage.getItem(key);
      if (action === "set") window.localStorage.setItem(key, token);
      else window.localStorage.removeItem(key);
    } catch (blocked) {
      return null;
    }
  }

  function make(tag, properties, css) {
    var element = Object.assign(document.createElement(tag), properties);
    if (css) element.style.cssText = css;
    return element;
  }

  function listen(placeholder, url, iframe, close) {
    var name = placeholder.getAttribute("data-callback");
    var callback = name && typeof window[name] === "function" ? window[name] : null;
    var ready = false;

    function emit(event, detail) {
      placeholder.dispatchEvent(new CustomEvent("formserver:" + event,
        { detail: detail, bubbles: true }));
      if (callback) callback(event, detail);
    }

    window.addEventListener("message", function (message) {
      var data = message.data;
      if (message.origin !== url.origin || message.source !== iframe.contentWindow) return;
      if (!data || typeof data !== "object" || data.type !== "formserver") return;
      if (data.event === "resize" && typeof data.height === "number" &&
          data.height > 0 && data.height < 50000) {
        iframe.style.height = Math.ceil(data.height) + "px";
      } else if (data.event === "ready" && !ready) {
        ready = true;
        emit("ready", {});
      } else if (data.event === "step" && typeof data.step === "string") {
        emit("step", { step: data.step, position: Number(data.position),
          total: Number(data.total) });
        if (iframe.getBoundingClientRect().top < 0) iframe.scrollIntoView();
      } else if (data.event === "close" && close) {
        close();
      } else if (data.event === "forget") {
        store("remove", url);
      } else if (data.event === "submit") {
        if (typeof data.lead_token === "string") store("set", url, data.lead_token);
        emit("submit", { segment: text(data.segment), tier: text(data.tier),
          route: text(data.route), redirect: text(data.redirect) });
      }
    });
  }

  function text(value) {
    return typeof value === "string" ? value : null;
  }

  function popup(placeholder, iframe, title) {
    var button = make("button", { type: "button",
      textContent: placeholder.getAttribute("data-button") || "Open the form" });
    var dialog = make("dialog", {}, "width:min(40rem,94vw);max-height:92vh;" +
      "padding:0;border:0;border-radius:8px;overflow:auto");
    dialog.setAttribute("aria-label", title);
    var close = make("button", { type: "button", textContent: "Close" },
      "float:right;margin:.5rem;font:inherit");
    dialog.append(close, iframe);
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { button.focus(); });
    button.addEventListener("click", function () {
      dialog.showModal();
      close.focus();
    });
    placeholder.append(button, dialog);
    return function () { dialog.close(); };
  }

  function mount(placeholder) {
    if (placeholder.getAttribute("data-formserver-mounted")) return;
    placeholder.setAttribute("data-formserver-mounted", "1");
    var url = frameUrl(placeholder);
    var title = placeholder.getAttribute("data-title") || "Form";
    var iframe = make("iframe", { src: url.href, title: title, scrolling: "no" },
      "display:block;width:100%;height:420px;border:0;overflow:hidden");
    var close = null;
    if (placeholder.getAttribute("data-mode") === "popup") {
      close = popup(placeholder, iframe, title);
    } else {
      placeholder.appendChild(iframe);
    }
    listen(placeholder, url, iframe, close);
  }

  document.querySelectorAll("[data-formserver]").forEach(mount);
  window.Formserver = { mount: mount };
})();

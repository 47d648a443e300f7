/*
 * formserver embed snippet (options: README.md). One iframe per
 * [data-formserver] placeholder, inline or in a popup dialog. Height and events
 * arrive by postMessage, checked for origin, source and shape. A submission's
 * lead token stays in this site's own storage, so that a later visit is
 * recognised without third-party cookies.
 */
(() => {
  "use strict";
  const CARRIED = "utm_source utm_medium utm_campaign utm_term utm_content gclid";
  const text = (value) => (typeof value === "string" ? value : null);

  // One token per formserver and client. Storage throws where the visitor
  // blocks it; the form then simply does not recognise them.
  function store(url, method, token) {
    try {
      const key = "formserver-lead:" + url.origin + url.pathname.split("/")[2];
      return localStorage[method](key, token);
    } catch (blocked) {
      return null;
    }
  }

  function frameUrl(address) {
    const url = new URL(address, document.baseURI);
    const params = url.searchParams;
    const here = new URLSearchParams(location.search);
    for (const name of CARRIED.split(" ")) {
      if (here.get(name) && !params.has(name)) params.set(name, here.get(name));
    }
    if (document.referrer) params.set("referrer", document.referrer);
    params.set("host", location.origin);
    const lead = store(url, "getItem");
    if (lead) params.set("lead", lead);
    return url;
  }

  function make(tag, properties, css) {
    const element = Object.assign(document.createElement(tag), properties);
    element.style.cssText = css || "";
    return element;
  }

  function popup(placeholder, iframe, title, label) {
    const button = make("button", { type: "button", textContent: label });
    const dialog = make("dialog", {}, "width:min(40rem,94vw);max-height:92vh;" +
      "padding:0;border:0;border-radius:8px;overflow:auto");
    const close = make("button", { type: "button", textContent: "Close" },
      "float:right;margin:.5rem;font:inherit");
    dialog.setAttribute("aria-label", title);
    dialog.append(close, iframe);
    close.onclick = () => dialog.close();
    dialog.onclose = () => button.focus();
    button.onclick = () => {
      dialog.showModal();
      close.focus();
    };
    placeholder.append(button, dialog);
    return () => dialog.close();
  }

  function listen(url, iframe, close, emit) {
    let ready = false;
    addEventListener("message", ({ origin, source, data }) => {
      if (origin !== url.origin || source !== iframe.contentWindow) return;
      if (!data || typeof data !== "object" || data.type !== "formserver") return;
      const { event, height } = data;
      if (event === "resize" && typeof height === "number" && height > 0 &&
          height < 50000) {
        iframe.style.height = Math.ceil(height) + "px";
      } else if (event === "ready" && !ready) {
        ready = true;
        emit("ready", {});
      } else if (event === "step" && typeof data.step === "string") {
        emit("step", { step: data.step, position: Number(data.position),
          total: Number(data.total) });
        if (iframe.getBoundingClientRect().top < 0) iframe.scrollIntoView();
      } else if (event === "close" && close) {
        close();
      } else if (event === "forget") {
        store(url, "removeItem");
      } else if (event === "submit") {
        if (text(data.lead_token)) store(url, "setItem", data.lead_token);
        emit("submit", { segment: text(data.segment), tier: text(data.tier),
          route: text(data.route), redirect: text(data.redirect) });
      }
    });
  }

  function mount(placeholder) {
    const option = (name) => placeholder.getAttribute("data-" + name);
    if (option("formserver-mounted")) return;
    placeholder.setAttribute("data-formserver-mounted", "1");
    const url = frameUrl(option("formserver"));
    const title = option("title") || "Form";
    const iframe = make("iframe", { src: url.href, title, scrolling: "no" },
      "display:block;width:100%;height:420px;border:0;overflow:hidden");
    const close = option("mode") === "popup" &&
      popup(placeholder, iframe, title, option("button") || "Open the form");
    if (!close) placeholder.append(iframe);
    const callback = option("callback") && window[option("callback")];
    listen(url, iframe, close, (event, detail) => {
      placeholder.dispatchEvent(new CustomEvent("formserver:" + event,
        { detail, bubbles: true }));
      if (typeof callback === "function") callback(event, detail);
    });
  }

  document.querySelectorAll("[data-formserver]").forEach(mount);
  window.Formserver = { mount };
})();

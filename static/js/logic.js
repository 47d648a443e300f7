/*
 * formserver: browser-side JsonLogic evaluator.
 *
 * Classic JsonLogic semantics (as in json-logic-js): rules are objects with
 * exactly one key, arrays evaluate element-wise, everything else is data.
 * Truthiness follows JavaScript except that an empty array is falsy.
 * The "log" and "method" operations are deliberately not provided.
 * Dependency-free ES2017; uses no eval or Function (safe under a strict CSP).
 *
 *   window.FormserverLogic = { apply(rule, data), truthy(value), vars(rule) }
 */
(function () {
  "use strict";

  const isArray = Array.isArray;
  const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

  const isLogic = (x) =>
    x !== null && typeof x === "object" && !isArray(x) && Object.keys(x).length === 1;

  const truthy = (value) => (isArray(value) && value.length === 0 ? false : !!value);

  // Look up a dotted path ("a.b", "items.0"); no name, null or "" means the
  // whole data. Only own properties are read, so "constructor" etc. are missing.
  function getVar(data, name, fallback) {
    const notFound = fallback === undefined ? null : fallback;
    if (name === undefined || name === null || name === "") return data;
    for (const key of String(name).split(".")) {
      if (data === null || data === undefined || !has(data, key)) return notFound;
      data = data[key];
      if (data === undefined) return notFound;
    }
    return data;
  }

  function missing(data, args) {
    const keys = isArray(args[0]) ? args[0] : args;
    return keys.filter((key) => {
      const value = getVar(data, key);
      return value === null || value === "";
    });
  }

  // Ordinary operations: called with already-evaluated arguments and the data.
  const OPS = {
    "==": ([a, b]) => a == b,
    "===": ([a, b]) => a === b,
    "!=": ([a, b]) => a != b,
    "!==": ([a, b]) => a !== b,
    ">": ([a, b]) => a > b,
    ">=": ([a, b]) => a >= b,
    "<": ([a, b, c]) => (c === undefined ? a < b : a < b && b < c),
    "<=": ([a, b, c]) => (c === undefined ? a <= b : a <= b && b <= c),
    "!": ([a]) => !truthy(a),
    "!!": ([a]) => truthy(a),
    "%": ([a, b]) => a % b,
    "/": ([a, b]) => a / b,
    "-": ([a, b]) => (b === undefined ? -a : a - b),
    "+": (xs) => xs.reduce((sum, x) => parseFloat(sum) + parseFloat(x), 0),
    "*": (xs) => xs.reduce((product, x) => parseFloat(product) * parseFloat(x)),
    max: (xs) => Math.max(...xs),
    min: (xs) => Math.min(...xs),
    in: ([a, b]) => !!b && typeof b.indexOf === "function" && b.indexOf(a) !== -1,
    cat: (xs) => xs.join(""),
    substr: ([source, start, length]) => {
      const s = String(source);
      if (length < 0) {
        const tail = s.substr(start);
        return tail.substr(0, tail.length + length);
      }
      return s.substr(start, length);
    },
    merge: (xs) => xs.reduce((all, x) => all.concat(x), []),
    var: ([name, fallback], data) => getVar(data, name, fallback),
    missing: (args, data) => missing(data, args),
    missing_some: ([need, keys], data) => {
      const absent = missing(data, [keys]);
      return keys.length - absent.length >= need ? [] : absent;
    },
  };

  // Operations whose second argument is logic run once per item of the first.
  const SCOPED = {
    map: (list, each) => (isArray(list) ? list.map(each) : []),
    filter: (list, each) => (isArray(list) ? list.filter((x) => truthy(each(x))) : []),
    all: (list, each) => isArray(list) && list.length > 0 && list.every((x) => truthy(each(x))),
    some: (list, each) => isArray(list) && list.some((x) => truthy(each(x))),
    none: (list, each) => !(isArray(list) && list.some((x) => truthy(each(x)))),
    reduce: (list, each, initial) =>
      isArray(list)
        ? list.reduce((accumulator, current) => each({ current, accumulator }), initial)
        : initial,
  };

  function apply(rule, data) {
    if (isArray(rule)) return rule.map((r) => apply(r, data));
    if (!isLogic(rule)) return rule;

    const op = Object.keys(rule)[0];
    const args = isArray(rule[op]) ? rule[op] : [rule[op]];

    if (op === "if" || op === "?:") {
      let i = 0;
      for (; i < args.length - 1; i += 2) {
        if (truthy(apply(args[i], data))) return apply(args[i + 1], data);
      }
      return i === args.length - 1 ? apply(args[i], data) : null;
    }
    if (op === "and" || op === "or") {
      // Short-circuit, returning the deciding operand itself (or the last one).
      let current;
      for (const arg of args) {
        current = apply(arg, data);
        if (truthy(current) === (op === "or")) return current;
      }
      return current;
    }
    if (has(SCOPED, op)) {
      const list = apply(args[0], data);
      const initial = op === "reduce" && args[2] !== undefined ? apply(args[2], data) : null;
      return SCOPED[op](list, (item) => apply(args[1], item), initial);
    }
    if (!has(OPS, op)) throw new Error("Unrecognized operation " + op);
    return OPS[op](args.map((arg) => apply(arg, data)), data);
  }

  // Names of the vars a rule reads from its data, in first-seen order. Literal
  // keys of missing/missing_some count too; the per-item logic of scoped
  // operations reads the item, not the data, so it is skipped. "" = whole data.
  function vars(rule) {
    const names = [];
    const add = (name) => {
      const s = name === null || name === undefined ? "" : String(name);
      if (!names.includes(s)) names.push(s);
    };
    const addKeys = (x) => {
      if (isArray(x)) x.forEach((k) => (isLogic(k) || isArray(k) ? walk(k) : add(k)));
      else if (isLogic(x)) walk(x);
      else add(x);
    };
    function walk(r) {
      if (isArray(r)) return r.forEach(walk);
      if (!isLogic(r)) return;
      const op = Object.keys(r)[0];
      const args = isArray(r[op]) ? r[op] : [r[op]];
      if (op === "var") {
        if (isLogic(args[0]) || isArray(args[0])) walk(args[0]);
        else add(args[0]);
        args.slice(1).forEach(walk);
      } else if (op === "missing") {
        addKeys(args.length === 1 ? args[0] : args);
      } else if (op === "missing_some") {
        walk(args[0]);
        addKeys(args[1]);
      } else if (has(SCOPED, op)) {
        walk(args[0]);
        if (op === "reduce") walk(args[2]);
      } else {
        args.forEach(walk);
      }
    }
    walk(rule);
    return names;
  }

  window.FormserverLogic = Object.freeze({ apply, truthy, vars });
})();

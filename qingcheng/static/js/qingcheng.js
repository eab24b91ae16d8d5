// Shared by every page (loaded before any page script): building page content from data without ever
// parsing it as HTML, and the shell's small behaviours that used to be inline event handlers.
//
// Project rule: text from users or admins (names, titles, descriptions, labels from the API) never reaches
// the page as HTML. Page scripts build nodes with `Qingcheng.el()` / `Qingcheng.text()` and hand those to
// Leaflet (`bindTooltip`, `bindPopup`, `setContent` take an element) instead of strings, which Leaflet
// would set as innerHTML. The Content-Security-Policy forbids inline scripts and style attributes as a
// second line; `el()` therefore sets styles through the CSSOM (`style: {background: ...}`), which it allows.
(function () {
  "use strict";

  const SAFE_SCHEMES = new Set(["http:", "https:", "blob:"]);

  /** Whether a URL may go into href/src: same-site paths and http(s)/blob only, never javascript: or data:. */
  function safeUrl(url) {
    try {
      return SAFE_SCHEMES.has(new URL(String(url), window.location.href).protocol);
    } catch (error) {
      return false;
    }
  }

  function appendChildren(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false || child === "") continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /**
   * el("div", {class: "x", "data-case": n, onclick: fn, style: {background: c}}, "text", otherNode)
   * Strings among the children become text nodes; attribute values are set with setAttribute (never
   * parsed); an "on…" attribute must be a function (an event listener), never a string of code.
   */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      const key = name.toLowerCase();
      if (key === "class") node.className = String(value);
      else if (key === "style") {
        if (typeof value !== "object") throw new TypeError("style must be an object of CSS properties");
        Object.assign(node.style, value);
      }
      else if (key.startsWith("on")) {
        if (typeof value !== "function") throw new TypeError(`${name} must be a function`);
        node.addEventListener(key.slice(2), value);
      } else if (key === "href" || key === "src" || key === "action" || key === "formaction") {
        if (safeUrl(value)) node.setAttribute(name, String(value));
      } else if (key === "srcdoc" || key === "innerhtml") {
        throw new TypeError(`${name} is not allowed`);
      } else node.setAttribute(name, value === true ? "" : String(value));
    }
    return appendChildren(node, children);
  }

  /**
   * A <span> with one line per argument (a <br> between), each a string, a node or an array of them (the
   * parts of one line): a label for Leaflet. Null, false and empty arrays are left out.
   */
  function lines(...values) {
    const span = document.createElement("span");
    let first = true;
    for (const value of values) {
      if (value === null || value === undefined || value === false) continue;
      if (Array.isArray(value) && !value.length) continue;
      if (!first) span.append(document.createElement("br"));
      first = false;
      appendChildren(span, [value]);
    }
    return span;
  }

  /** A <span> whose only content is the value as text. */
  function text(value) {
    return lines(value === null || value === undefined ? "" : value);
  }

  window.Qingcheng = Object.freeze({ el, text, lines, safeUrl });

  // <select data-autosubmit> sends its form when changed (the language switch); was onchange="…".
  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
})();

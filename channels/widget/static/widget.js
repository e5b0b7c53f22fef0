/*
 * 升級轉型諮詢小幫手: embeddable web chat widget.
 *
 *   <script src="https://<gateway>/widget.js" defer></script>
 *
 * No framework, no external resource. The API base is the directory of this script's own src
 * (override with data-api-base="https://…/"), so the page embedding it may live on any origin.
 * Every piece of data is inserted with textContent / createElement, never as HTML.
 *
 * API (channels/widget/api.py):
 *   POST {base}api/widget/messages {session_id, text, payload?, client_id}
 *        → {messages, user_message, handoff, duplicate?}
 *   GET  {base}api/widget/messages?session_id=…&after=<id>                → {messages, handoff}
 */
(function () {
  "use strict";
  if (window.__hotlineWidget) { return; }

  // ------------------------------------------------------------------ configuration
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src]");
    for (var s = 0; s < all.length; s++) {
      if (/(^|\/)widget\.js(\?|#|$)/.test(all[s].getAttribute("src"))) { script = all[s]; }
    }
  }
  var BASE = (function () {
    var explicit = script && script.getAttribute("data-api-base");
    if (explicit) { return new URL(explicit, location.href).href.replace(/\/?$/, "/"); }
    if (script && script.src) { return new URL(".", script.src).href; }
    return new URL("/", location.href).href;
  })();
  var API = new URL("api/widget/messages", BASE).href;
  var FEEDBACK_API = new URL("api/widget/feedback", BASE).href;
  var CSAT_API = new URL("api/widget/csat", BASE).href;
  var STORAGE_SESSION = "hotline-widget:session";
  var STORAGE_OPEN = "hotline-widget:open";
  var POLL_OPEN_MS = 2500;
  var POLL_CLOSED_MS = 10000;      // closed, but an officer may answer: keep the badge up to date
  var BACKOFF_MS = [2000, 4000, 8000, 15000, 30000];
  var SEND_TIMEOUT_MS = 45000;
  var POLL_TIMEOUT_MS = 15000;
  var PAGE_SIZE = 500;             // the store returns at most this many per request

  var T = {
    title: "升級轉型諮詢小幫手",
    status: "線上小幫手・答案皆附依據",
    open: "開啟線上諮詢",
    toggle: "線上諮詢",
    keys: "按 Enter 送出，Shift＋Enter 換行，Esc 關閉視窗",
    close: "關閉對話視窗",
    inputLabel: "輸入您的問題",
    placeholder: "請輸入問題，例如：診斷輔導要多少錢",
    placeholders: {                 // what the input expects while a handoff is in this state
      awaiting_contact: "請輸入電話或Email（可附方便時段），或直接提問",
      waiting: "輸入要補充給專人的內容",
      with_officer: "輸入要回覆專人的內容"
    },
    send: "送出",
    log: "對話內容",
    banner: "連線中斷，重新連線中…",
    sending: "傳送中…",
    failed: "傳送失敗",
    retry: "重新傳送",
    intro: "您好！我是「產業及中小企業升級轉型」線上小幫手，可以回答免費課程、診斷輔導、補助與低利貸款的問題，並附上依據。請直接輸入問題，或點選：",
    starters: ["診斷輔導要多少錢", "幫我試算補助", "找專人"],
    you: "您",
    bot: "小幫手",
    officer: "專人",
    system: "系統通知",
    officerSuffix: "（專人）",
    rejected: "訊息未送出：",
    handoff: {
      waiting: "已轉接專人，請稍候",
      with_officer: "專人服務中：",
      awaiting_contact: "非專人服務時間，請留下聯絡方式",
      callback: "已登記，專人將於上班時間回覆"
    },
    card: {                         // the card's own words come from the action server (card.headings, …);
      ineligible: "不符合申請資格",   // these are used only where a card leaves one out
      estimate: "（估算）",
      fixed: "（固定金額）",
      show_steps: "看計算過程",
      next_step: "下一步",
      binding: "決定因素：",
      reason: "原因：",
      steps: "計算過程",
      alternatives: "您可以考慮",
      notes: "請注意",
      citations: "依據",
      colon: "：",
      separator: "；"
    },
    unread: "則新訊息",
    feedback: { ask: "這個回答有幫助嗎？", up: "有幫助", down: "沒幫助" },
    csat: { comment: "其他意見（選填）", send: "送出意見" }
  };

  // ------------------------------------------------------------------ storage and ids
  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: memory only */ }
  }
  function randomHex(bytes) {
    var a = new Uint8Array(bytes);
    (window.crypto || window.msCrypto).getRandomValues(a);
    var out = "";
    for (var i = 0; i < a.length; i++) { out += ("0" + a[i].toString(16)).slice(-2); }
    return out;
  }
  function newSessionId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    return randomHex(16);
  }
  var sessionId = storageGet(STORAGE_SESSION);
  if (!sessionId || !/^[A-Za-z0-9_-]{16,64}$/.test(sessionId)) {
    sessionId = newSessionId();
    storageSet(STORAGE_SESSION, sessionId);
  }

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] !== null && attrs[k] !== undefined) {
          node.setAttribute(k, attrs[k]);
        }
      }
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  var URL_RE = /https?:\/\/[^\s<>"'（）()【】「」，。、；！？]+/g;
  /** Text with http(s) links made clickable; every piece is a text node or an <a> built here. */
  function richText(parent, text) {
    text = String(text || "");
    var last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      var href = m[0].replace(/[.,;:!?]+$/, "");
      if (m.index > last) { parent.appendChild(document.createTextNode(text.slice(last, m.index))); }
      var ok = false;
      try { ok = /^https?:$/.test(new URL(href).protocol); } catch (e) { ok = false; }
      if (ok) {
        parent.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, href));
      } else {
        parent.appendChild(document.createTextNode(href));
      }
      last = m.index + href.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
    return parent;
  }
  function chatIcon() {  // a speech bubble, drawn here (no font or image to fetch)
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "22");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "hw-toggle-icon");
    var path = document.createElementNS(NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z");
    svg.appendChild(path);
    return svg;
  }

  // ------------------------------------------------------------------ build the widget
  var root = el("div", { id: "hotline-widget", "class": "hw-root", lang: "zh-Hant-TW" });
  var toggle = el("button", {
    id: "hotline-widget-toggle", type: "button", "class": "hw-toggle", "aria-label": T.open,
    "aria-expanded": "false", "aria-controls": "hotline-widget-panel", "data-testid": "widget-toggle"
  });
  toggle.appendChild(chatIcon());
  toggle.appendChild(el("span", { "class": "hw-toggle-text", "aria-hidden": "true" }, T.toggle));
  var badge = el("span", { id: "hotline-widget-badge", "class": "hw-badge", hidden: "" });
  toggle.appendChild(badge);

  var panel = el("div", {
    id: "hotline-widget-panel", "class": "hw-panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "hotline-widget-title", "aria-describedby": "hotline-widget-status", hidden: ""
  });
  var header = el("div", { "class": "hw-header" });
  var heading = el("div", { "class": "hw-heading" });
  heading.appendChild(el("h2", { id: "hotline-widget-title", "class": "hw-title" }, T.title));
  var status = el("p", { id: "hotline-widget-status", "class": "hw-status", "aria-live": "polite",
                         "data-testid": "widget-status", "data-state": "bot" }, T.status);
  heading.appendChild(status);
  header.appendChild(heading);
  var closeBtn = el("button", { id: "hotline-widget-close", type: "button", "class": "hw-close", "aria-label": T.close }, "×");
  header.appendChild(closeBtn);
  panel.appendChild(header);

  var banner = el("div", { id: "hotline-widget-banner", "class": "hw-banner", role: "status",
                           "data-testid": "widget-banner", hidden: "" }, T.banner);
  panel.appendChild(banner);

  var log = el("div", { id: "hotline-widget-log", "class": "hw-log", role: "log", "aria-live": "polite",
                        "aria-relevant": "additions", "aria-label": T.log, tabindex: "0" });
  panel.appendChild(log);

  var intro = el("div", { "class": "hw-intro", "data-key": "-1", "data-testid": "widget-intro" });
  intro.appendChild(el("p", null, T.intro));
  var starters = el("div", { "class": "hw-chips" });
  T.starters.forEach(function (q) {
    var b = el("button", { type: "button", "class": "hw-chip", "data-testid": "starter" }, q);
    b.addEventListener("click", function () { send(q, null); });
    starters.appendChild(b);
  });
  intro.appendChild(starters);
  log.appendChild(intro);

  var form = el("form", { id: "hotline-widget-form", "class": "hw-form", novalidate: "" });
  form.appendChild(el("label", { "for": "hotline-widget-input", "class": "hw-sr" }, T.inputLabel));
  var input = el("textarea", { id: "hotline-widget-input", "class": "hw-input", rows: "1",
                               placeholder: T.placeholder, autocomplete: "off", "aria-describedby": "hotline-widget-hint" });
  form.appendChild(input);
  form.appendChild(el("span", { id: "hotline-widget-hint", "class": "hw-sr" }, T.keys));
  var sendBtn = el("button", { id: "hotline-widget-send", type: "submit", "class": "hw-send" }, T.send);
  form.appendChild(sendBtn);
  panel.appendChild(form);

  root.appendChild(panel);
  root.appendChild(toggle);

  // the stylesheet comes from the same place as the script; the widget stays hidden until it loads
  var css = el("link", { rel: "stylesheet", href: new URL("widget.css", BASE).href, "data-hotline-widget": "" });
  var shown = false;
  root.hidden = true;
  function reveal() { if (!shown) { shown = true; root.hidden = false; } }
  css.addEventListener("load", reveal);
  css.addEventListener("error", reveal);
  setTimeout(reveal, 3000);

  // ------------------------------------------------------------------ state
  var state = {
    open: false,
    lastId: 0,            // the newest id read by polling (GET), so nothing stored meanwhile is skipped
    seen: {},             // message id → element (or true when nothing is shown for it)
    cardTexts: {},        // chat texts of the results drawn as cards (their text message is not shown again)
    botTexts: {},         // plain bot text → its element (removed when the card of the same result comes)
    pending: [],          // the user's messages not yet matched with their stored copy
    handoff: null,
    failures: 0,
    polling: false,
    again: false,         // a poll was asked for while one was running
    timer: null,
    loaded: false,        // the history has been read once
    unread: 0,
    queue: Promise.resolve()
  };

  // ------------------------------------------------------------------ ordering in the log
  function insertSorted(node, key) {
    node.setAttribute("data-key", String(key));
    if (node.parentNode === log) { log.removeChild(node); }
    var children = log.children;
    for (var i = 0; i < children.length; i++) {
      var k = Number(children[i].getAttribute("data-key"));
      if (k > key) { log.insertBefore(node, children[i]); return; }
    }
    log.appendChild(node);
  }
  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  // ------------------------------------------------------------------ rendering
  function authorLabel(m) {
    if (m.author === "user") { return T.you; }
    if (m.author === "officer") { return (m.officer || T.officer) + T.officerSuffix; }
    if (m.author === "system") { return T.system; }
    return T.bot;
  }

  /** A calculation card (knowledge/contract.py CalcCard) drawn as the action server rendered it:
   *  the plain lead sentence first, then the amount (an estimate marked as one; a loan's fixed limit
   *  beside it), what decided it, the steps collapsed behind 「看計算過程」, what to do next, and one
   *  citation line. Nothing is computed or re-worded here. */
  function buildCard(c) {
    if (!c || typeof c !== "object" || typeof c.title !== "string") { throw new Error("not a calc card"); }
    var H = c.headings || {};
    var heading = function (key) { return H[key] || T.card[key]; };
    var cites = c.citation_texts || {};
    var card = el("div", { "class": "hw-card", "data-testid": "calc-card" });
    card.appendChild(el("div", { "class": "hw-card-title" }, c.title));
    var lead = c.plain || c.headline;
    if (lead) { card.appendChild(el("p", { "class": "hw-card-lead", "data-testid": "calc-lead" }, lead)); }
    if (c.eligible) {
      if (c.amount_text) {
        card.appendChild(el("div", { "class": "hw-card-headline" }, c.amount_label || ""));
        card.appendChild(el("div", { "class": "hw-card-amount", "data-testid": "calc-amount" },
                            c.amount_text + (c.is_estimate ? T.card.estimate : "")));
      }
      if (c.limit_text) {
        card.appendChild(el("div", { "class": "hw-card-headline" }, c.limit_label || ""));
        card.appendChild(el("div", { "class": "hw-card-amount hw-card-limit", "data-testid": "calc-limit" },
                            c.limit_text + T.card.fixed));
      }
      if (c.binding_rule) { card.appendChild(el("div", { "class": "hw-card-binding" }, T.card.binding + c.binding_rule)); }
    } else {
      card.appendChild(el("div", { "class": "hw-card-headline hw-card-no" }, T.card.ineligible));
      if (c.binding_rule) { card.appendChild(el("div", { "class": "hw-card-binding" }, T.card.reason + c.binding_rule)); }
    }
    if (Array.isArray(c.alternatives) && c.alternatives.length) {   // what fits instead: not hidden
      card.appendChild(el("div", { "class": "hw-card-section" }, heading("alternatives")));
      var alts = el("ul", { "class": "hw-card-list" });
      c.alternatives.forEach(function (x) { alts.appendChild(el("li", null, x)); });
      card.appendChild(alts);
    }
    var hasSteps = Array.isArray(c.steps) && c.steps.length;
    var hasNotes = Array.isArray(c.notes) && c.notes.length;
    if (hasSteps || hasNotes) {
      var more = el("details", { "class": "hw-card-more", "data-testid": "calc-steps" });
      more.appendChild(el("summary", { "class": "hw-card-toggle" }, heading("show_steps")));
      if (hasSteps) {
        var ol = el("ol", { "class": "hw-card-steps", "aria-label": heading("steps") });
        c.steps.forEach(function (st) {
          var li = el("li", null, typeof st === "string" ? st : st.text);
          var cite = st && (st.citation_text || (st.citation && cites[st.citation]));
          if (cite) {
            li.appendChild(el("span", { "class": "hw-card-stepcite" }, heading("citations") + T.card.colon + cite));
          }
          ol.appendChild(li);
        });
        more.appendChild(ol);
      }
      if (hasNotes) {
        more.appendChild(el("div", { "class": "hw-card-section" }, heading("notes")));
        var ul = el("ul", { "class": "hw-card-list" });
        c.notes.forEach(function (x) { ul.appendChild(el("li", null, x)); });
        more.appendChild(ul);
      }
      card.appendChild(more);
    }
    if (c.next_step) {
      card.appendChild(el("p", { "class": "hw-card-next", "data-testid": "calc-next" },
                          heading("next_step") + T.card.colon + c.next_step));
    }
    var line = c.citation_line;
    if (!line && Array.isArray(c.citations) && c.citations.length) {   // a card from before citation_line
      var names = [];
      c.citations.forEach(function (id) {
        var name = cites[id] || id;
        if (names.indexOf(name) < 0) { names.push(name); }
      });
      line = heading("citations") + T.card.colon + names.join(T.card.separator);
    }
    if (line) { card.appendChild(el("div", { "class": "hw-card-cite", "data-testid": "calc-citations" }, line)); }
    return card;
  }

  /** A stored message as an element, or null when it has nothing to show (e.g. a bare custom payload). */
  function renderMessage(m) {
    var payload = m.payload || {};
    var custom = payload.custom;
    var author = ["user", "bot", "officer", "system"].indexOf(m.author) >= 0 ? m.author : "bot";
    var node = el("div", { "class": "hw-msg hw-msg-" + author, "data-testid": "msg-" + author,
                           "data-id": String(m.id) });
    if (m.created_at) {
      var when = new Date(m.created_at);
      if (!isNaN(when.getTime())) { node.setAttribute("title", when.toLocaleString("zh-TW")); }
    }
    if (author === "officer") {
      node.appendChild(el("div", { "class": "hw-name", "data-testid": "officer-name" }, authorLabel(m)));
    } else {
      node.appendChild(el("span", { "class": "hw-sr" }, authorLabel(m) + "："));
    }
    var shown = false;
    if (m.text) {
      node.appendChild(richText(el("div", { "class": "hw-bubble" }), m.text));
      shown = true;
    }
    if (custom && typeof custom === "object" && custom.type === "calc_result" && custom.card) {
      try {
        node.appendChild(buildCard(custom.card));
        node.classList.add("hw-msg-card");
        shown = true;
      } catch (e) {
        // the answer's text (the message before) already carries the whole result; a result
        // stored before cards existed (no card) is shown by that text alone
      }
    }
    if (Array.isArray(payload.buttons) && payload.buttons.length && author !== "user") {
      var chips = el("div", { "class": "hw-chips" });
      payload.buttons.forEach(function (b) {
        var title = String((b && b.title) || "");
        var value = b && b.payload ? String(b.payload) : null;
        if (!title) { return; }
        var chip = el("button", { type: "button", "class": "hw-chip", "data-testid": "msg-button" }, title);
        chip.addEventListener("click", function () { send(title, value); });
        chips.appendChild(chip);
      });
      node.appendChild(chips);
      shown = true;
    }
    if (shown && author === "bot" && payload.answer && payload.answer.rate && typeof m.id === "number") {
      node.appendChild(feedbackRow(m));
    }
    if (custom && typeof custom === "object" && custom.type === "csat" && typeof custom.ticket_id === "number") {
      node.appendChild(csatBlock(custom));
      shown = true;
    }
    return shown ? node : null;
  }

  // ------------------------------------------------------------------ feedback (never through the chat)
  function postJson(url, body) {
    return fetch(url, {
      method: "POST", mode: "cors", credentials: "omit", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (d) { return { ok: res.ok, data: d || {} }; });
    });
  }
  /** 👍/👎 under a rated answer (knowledge answer or calculation result); 👎 offers optional reasons. */
  function feedbackRow(m) {
    var row = el("div", { "class": "hw-feedback", "data-testid": "feedback" });
    row.appendChild(el("span", { "class": "hw-feedback-ask" }, T.feedback.ask));
    var up = el("button", { type: "button", "class": "hw-fb", "data-testid": "feedback-up", "aria-pressed": "false",
                            "aria-label": T.feedback.up, title: T.feedback.up }, "👍 " + T.feedback.up);
    var down = el("button", { type: "button", "class": "hw-fb", "data-testid": "feedback-down", "aria-pressed": "false",
                              "aria-label": T.feedback.down, title: T.feedback.down }, "👎 " + T.feedback.down);
    var note = el("div", { "class": "hw-feedback-note", "data-testid": "feedback-note", "aria-live": "polite" });
    var reasons = el("div", { "class": "hw-chips hw-feedback-reasons" });
    function rate(score, reason) {
      var body = { session_id: sessionId, message_id: m.id, score: score };
      if (reason) { body.reason = reason; }
      return postJson(FEEDBACK_API, body).then(function (res) {
        note.textContent = res.ok ? (res.data.text || "") : (res.data.detail || "");
        if (!res.ok) { return; }
        up.setAttribute("aria-pressed", score === "up" ? "true" : "false");
        down.setAttribute("aria-pressed", score === "down" ? "true" : "false");
        reasons.textContent = "";
        (res.data.reasons || []).forEach(function (r) {
          var chip = el("button", { type: "button", "class": "hw-chip", "data-testid": "feedback-reason",
                                    "data-reason": r.value }, r.label);
          chip.addEventListener("click", function () { rate("down", r.value); });
          reasons.appendChild(chip);
        });
      }).catch(function () { note.textContent = T.failed; });
    }
    up.addEventListener("click", function () { rate("up", null); });
    down.addEventListener("click", function () { rate("down", null); });
    row.appendChild(up);
    row.appendChild(down);
    row.appendChild(note);
    row.appendChild(reasons);
    return row;
  }
  /** The satisfaction question after a person helped: 1–5 or skip, then an optional comment. */
  function csatBlock(c) {
    var box = el("div", { "class": "hw-csat", "data-testid": "csat" });
    var choices = el("div", { "class": "hw-chips" });
    var note = el("div", { "class": "hw-feedback-note", "data-testid": "csat-note", "aria-live": "polite" });
    function answer(score, comment) {
      return postJson(CSAT_API, { session_id: sessionId, ticket_id: c.ticket_id, score: score, comment: comment })
        .then(function (res) {
          note.textContent = res.ok ? (res.data.text || "") : (res.data.detail || "");
          if (!res.ok) { choices.textContent = ""; return; }
          choices.textContent = "";
          if (score !== null) { box.appendChild(commentForm()); }
        }).catch(function () { note.textContent = T.failed; });
    }
    function commentForm() {
      var f = el("div", { "class": "hw-csat-comment" });
      var area = el("textarea", { "data-testid": "csat-comment", maxlength: "1000", rows: "2",
                                  placeholder: T.csat.comment, "aria-label": T.csat.comment });
      var go = el("button", { type: "button", "class": "hw-chip", "data-testid": "csat-comment-send" }, T.csat.send);
      go.addEventListener("click", function () {
        var text = area.value.trim();
        if (!text) { return; }
        answer(null, text).then(function () { f.remove(); });
      });
      f.appendChild(area);
      f.appendChild(go);
      return f;
    }
    (c.options || []).forEach(function (o) {
      var b = el("button", { type: "button", "class": "hw-chip", "data-testid": "csat-score",
                             "data-score": String(o.score) }, String(o.label));
      b.addEventListener("click", function () { answer(o.score, null); });
      choices.appendChild(b);
    });
    var skip = el("button", { type: "button", "class": "hw-chip", "data-testid": "csat-skip" }, String(c.skip || ""));
    skip.addEventListener("click", function () { answer(null, null); });
    choices.appendChild(skip);
    box.appendChild(choices);
    box.appendChild(note);
    return box;
  }

  function describeHandoff(h) {
    if (!h || !h.state) { return { text: T.status, state: "bot" }; }
    if (h.state === "with_officer") { return { text: T.handoff.with_officer + (h.officer || T.officer), state: h.state }; }
    return { text: T.handoff[h.state] || T.handoff.waiting, state: h.state };
  }
  function setHandoff(h) {
    state.handoff = h && h.state ? h : null;
    var d = describeHandoff(state.handoff);
    if (status.textContent !== d.text) { status.textContent = d.text; }
    status.setAttribute("data-state", d.state);
    root.setAttribute("data-handoff", d.state);
    var wanted = (state.handoff && T.placeholders[state.handoff.state]) || T.placeholder;
    if (input.getAttribute("placeholder") !== wanted) { input.setAttribute("placeholder", wanted); }
  }

  function matchPending(m) {
    for (var i = 0; i < state.pending.length; i++) {
      var p = state.pending[i];
      var sent = p.text.trim();
      if (sent === m.text || (m.text && m.text.length >= 1000 && sent.indexOf(m.text) === 0)) {
        state.pending.splice(i, 1);
        return p;
      }
    }
    return null;
  }

  /** Our own message (on screen since it was typed) is the stored message ``id``. */
  function adopt(p, id) {
    var i = state.pending.indexOf(p);
    if (i >= 0) { state.pending.splice(i, 1); }
    var known = state.seen[id];
    if (known && known !== p.node) {           // already shown from a poll: keep that one
      if (p.node.parentNode === log) { log.removeChild(p.node); }
      p.state = "stored";
      return;
    }
    p.node.setAttribute("data-id", String(id));
    setPendingState(p, "stored");
    insertSorted(p.node, id);
    state.seen[id] = p.node;
  }

  /** The chat text a calculation result carries (the card draws the same result: shown once). */
  function cardTextOf(m) {
    var custom = m && m.payload && m.payload.custom;
    if (!custom || custom.type !== "calc_result" || !custom.card || typeof custom.card.text !== "string") { return ""; }
    return custom.card.text.trim();
  }
  /** A bot message that is only text (no card, no buttons): the text rendering of a result looks like this. */
  function plainBotText(m) {
    var payload = m.payload || {};
    if (m.author !== "bot" || !m.text || payload.custom || (payload.buttons && payload.buttons.length)) { return ""; }
    return String(m.text).trim();
  }

  /** Put the start of ``node`` (a new answer) at the top of the conversation, as far as it scrolls. */
  function scrollToStart(node) {
    var top = node.getBoundingClientRect().top - log.getBoundingClientRect().top + log.scrollTop - 8;
    log.scrollTop = Math.max(0, Math.min(top, log.scrollHeight - log.clientHeight));
  }

  /** Add stored messages (any order, duplicates ignored); returns the first new answer's element
   *  (null when nothing from the bot or an officer was added). A result's text and its card are drawn
   *  once: as the card. */
  function addMessages(messages, live) {
    var stick = nearBottom();
    var added = 0;
    var answers = [];
    (messages || []).forEach(function (m) {
      if (!m || typeof m.id !== "number" || state.seen[m.id]) { return; }
      if (m.author === "user") {
        var p = matchPending(m);
        if (p) { adopt(p, m.id); return; }   // our own message, already on screen: give it its place
      }
      var plainText = plainBotText(m);
      if (plainText && state.cardTexts[plainText]) { state.seen[m.id] = true; return; }   // its card is shown
      var node = renderMessage(m);
      state.seen[m.id] = node || true;
      if (!node) { return; }
      insertSorted(node, m.id);
      var drawn = cardTextOf(m);
      if (drawn && node.classList.contains("hw-msg-card")) {
        state.cardTexts[drawn] = true;
        var twin = state.botTexts[drawn];           // the same result as text, drawn before its card came
        if (twin && twin.parentNode === log) { log.removeChild(twin); }
      } else if (plainText) {
        state.botTexts[plainText] = node;
      }
      var custom = m.payload && m.payload.custom;
      if (live && custom && custom.type === "handoff_state") {
        setHandoff({ state: custom.state, officer: custom.officer || null });
      }
      if (m.author !== "user") { added++; answers.push(node); }
    });
    if (added && live && !state.open) {
      state.unread += added;
      badge.textContent = String(state.unread);
      badge.setAttribute("aria-label", state.unread + T.unread);
      badge.hidden = false;
    }
    var first = null;
    answers.forEach(function (n) {
      if (n.parentNode === log && (first === null || Number(n.getAttribute("data-id")) < Number(first.getAttribute("data-id")))) {
        first = n;
      }
    });
    if (!state.loaded) { scrollToEnd(); }
    else if (stick && first) { scrollToStart(first); }
    return first;
  }

  // ------------------------------------------------------------------ network
  function request(method, params, body, timeoutMs) {
    var url = new URL(API);
    if (params) { Object.keys(params).forEach(function (k) { url.searchParams.set(k, params[k]); }); }
    var ctrl = typeof AbortController === "function" ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, timeoutMs) : null;
    return fetch(url.href, {
      method: method, mode: "cors", credentials: "omit", cache: "no-store",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status >= 500 || res.status === 429 || res.status === 408) {
          throw new Error("HTTP " + res.status);
        }
        return { status: res.status, ok: res.ok, data: data || {} };
      });
    }).finally(function () { if (timer) { clearTimeout(timer); } });
  }

  function connectionLost() {
    state.failures++;
    banner.hidden = false;
  }
  function connectionOk() {
    state.failures = 0;
    banner.hidden = true;
  }

  function nextDelay() {
    if (state.failures) { return BACKOFF_MS[Math.min(state.failures, BACKOFF_MS.length) - 1]; }
    if (state.open) { return document.hidden ? POLL_CLOSED_MS : POLL_OPEN_MS; }
    if (state.handoff) { return POLL_CLOSED_MS; }
    return null;
  }
  function schedule(delay) {
    clearTimeout(state.timer);
    state.timer = null;
    if (delay === undefined) { delay = nextDelay(); }
    if (delay !== null) { state.timer = setTimeout(poll, delay); }
  }

  function poll() {
    if (state.polling) { state.again = true; return; }
    state.polling = true;
    state.again = false;
    clearTimeout(state.timer);
    var more = false;
    request("GET", { session_id: sessionId, after: String(state.lastId) }, null, POLL_TIMEOUT_MS)
      .then(function (res) {
        if (!res.ok) { throw new Error("HTTP " + res.status); }
        var msgs = res.data.messages || [];
        addMessages(msgs, state.loaded);
        msgs.forEach(function (m) { if (typeof m.id === "number" && m.id > state.lastId) { state.lastId = m.id; } });
        setHandoff(res.data.handoff);
        state.loaded = true;
        more = msgs.length >= PAGE_SIZE;
        connectionOk();
      })
      .catch(function () { connectionLost(); })
      .then(function () {
        state.polling = false;
        schedule(more || (state.again && !state.failures) ? 0 : undefined);
      });
  }

  // ------------------------------------------------------------------ sending
  function setPendingState(p, st) {
    p.state = st;
    p.node.setAttribute("data-state", st);
    if (p.note) { p.node.removeChild(p.note); p.note = null; }
    if (st === "sending") {
      p.note = el("div", { "class": "hw-note" }, T.sending);
    } else if (st === "failed") {
      p.note = el("div", { "class": "hw-note hw-note-failed", "data-testid": "send-failed" });
      p.note.appendChild(el("span", null, T.failed + " "));
      var again = el("button", { type: "button", "class": "hw-retry", "data-testid": "send-retry" }, T.retry);
      again.addEventListener("click", function () { enqueue(p); });
      p.note.appendChild(again);
    } else if (st === "rejected") {
      p.note = el("div", { "class": "hw-note hw-note-failed" }, T.rejected + (p.detail || ""));
    }
    if (p.note) { p.node.appendChild(p.note); }
  }

  function doSend(p) {
    if (p.state === "stored" || p.state === "sent") { return Promise.resolve(); }
    setPendingState(p, "sending");
    var body = { session_id: sessionId, text: p.text, client_id: p.clientId };
    if (p.payload) { body.payload = p.payload; }
    return request("POST", null, body, SEND_TIMEOUT_MS).then(function (res) {
      if (p.state === "stored") {
        // a poll already found it stored
      } else if (!res.ok) {
        p.detail = res.data && typeof res.data.detail === "string" ? res.data.detail : "HTTP " + res.status;
        var i = state.pending.indexOf(p);
        if (i >= 0) { state.pending.splice(i, 1); }
        setPendingState(p, "rejected");
        return;
      } else {
        setPendingState(p, "sent");
      }
      connectionOk();
      var mine = res.data.user_message;
      if (mine && typeof mine.id === "number") { adopt(p, mine.id); }
      var msgs = res.data.messages || [];
      var first = null;
      msgs.forEach(function (m) { if (typeof m.id === "number" && (first === null || m.id < first)) { first = m.id; } });
      // the answers follow the question: until a poll brings the question's own id, put it just before them
      if (p.state === "sent" && first !== null) { insertSorted(p.node, first - 0.5); }
      var answer = addMessages(msgs, true);
      setHandoff(res.data.handoff);
      if (answer) { scrollToStart(answer); }   // a new answer is read from its start (a poll may have shown it first)
      schedule(0);   // read the question's stored copy and anything that came meanwhile
    }).catch(function () {
      if (p.state !== "stored") { setPendingState(p, "failed"); }
      connectionLost();
      schedule();
    });
  }

  function enqueue(p) {
    state.queue = state.queue.then(function () { return doSend(p); });
    return state.queue;
  }

  function send(text, payload) {
    text = String(text || "").trim();
    if (!text) { return; }
    var node = el("div", { "class": "hw-msg hw-msg-user", "data-testid": "msg-user" });
    node.appendChild(el("span", { "class": "hw-sr" }, T.you + "："));
    node.appendChild(el("div", { "class": "hw-bubble" }, text));
    var p = { text: text, payload: payload || null, clientId: randomHex(12), node: node, state: "new", note: null };
    state.pending.push(p);
    insertSorted(node, Infinity);
    scrollToEnd();
    enqueue(p);
  }

  // ------------------------------------------------------------------ open, close, keyboard
  function setOpen(open, moveFocus) {
    state.open = open;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("hw-open", open);
    storageSet(STORAGE_OPEN, open ? "1" : "0");
    if (open) {
      state.unread = 0;
      badge.hidden = true;
      badge.textContent = "";
      scrollToEnd();
      if (moveFocus) { input.focus(); }
      if (state.polling) { state.again = true; } else { schedule(0); }
    } else {
      if (moveFocus) { toggle.focus(); }
      schedule();
    }
  }

  toggle.addEventListener("click", function () { setOpen(!state.open, true); });
  closeBtn.addEventListener("click", function () { setOpen(false, true); });
  root.addEventListener("keydown", function (e) {
    if ((e.key === "Escape" || e.key === "Esc") && state.open) { e.preventDefault(); setOpen(false, true); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    input.value = "";
    autosize();
    send(text, null);
    input.focus();
  });
  input.addEventListener("keydown", function (e) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition (注音/倉頡) does nothing
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { sendBtn.click(); }
    }
  });
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  input.addEventListener("input", autosize);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.open && !state.failures) { schedule(0); }
  });

  // ------------------------------------------------------------------ start
  function mount() {
    (document.head || document.documentElement).appendChild(css);
    document.body.appendChild(root);
    if (storageGet(STORAGE_OPEN) === "1") { setOpen(true, false); } else { poll(); }   // the history (after=0): a reload shows the conversation again
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }

  window.__hotlineWidget = {
    version: "1",
    sessionId: function () { return sessionId; },
    open: function () { setOpen(true, false); },
    close: function () { setOpen(false, false); },
    apiBase: BASE
  };
})();

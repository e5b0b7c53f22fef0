// 專人服務台 (officer console). Vanilla JS, no dependencies.
// Every piece of text that comes from the server is put into the page with textContent (via el()),
// never parsed as HTML: a company's message such as <img src=x onerror=alert(1)> shows as text.
'use strict';

(function () {
  const API = '/console/api';
  const POLL_MS = 2000;
  const MAX_TEXT = 2000;

  // Every word this page shows, in one place. (The API's own messages and the ticket state names
  // come from the server: channels/console/labels.py.) {name} marks a value filled in by fill().
  const T = {
    pageTitle: '專人服務台｜升級轉型諮詢小幫手',
    authors: { user: '使用者', bot: '小幫手', officer: '專人', system: '系統' },
    channels: { line: 'LINE', web: '網頁' },
    slots: {
      manufacturing: '製造業', sme: '中小企業', employees: '員工人數', lead_factory: '以大帶小',
      track: '轉型方向', total_budget: '計畫總經費', cost_items: '經費科目', company_capital: '實收資本額',
      transformation_plan: '轉型用途', loan_purpose: '資金用途', capital_spending: '資本性支出',
      loan_amount: '貸款金額', tax_only: '僅租稅優惠', intent: '意圖',
    },
    yes: '是', no: '否', money: '{n} 元', people: '{n} 人',
    offline: '無法連線到伺服器，請檢查網路後再試。',
    httpError: '發生錯誤（HTTP {status}）',
    sessionLost: '登入已逾時或已在其他地方登出，請重新登入。',
    loginFields: '請輸入帳號與密碼。',
    loggedOut: '已登出。',
    reconnecting: '連線中斷，重試中…',
    waited: '等候 {minutes} 分鐘',
    holder: '處理人：{name}', mine: '（我）', notClaimed: '尚未認領',
    contact: '聯絡方式：{contact}', contactAsking: '詢問中', contactNone: '未留',
    callbackAt: '預定聯繫時間：{time}',
    ticketTitle: '案件 #{id}', ticketTitleReason: '案件 #{id}・{reason}',
    hintResolved: '此案件已結案。', hintHeldBy: '此案件由「{name}」處理中，接手後才能回覆。',
    otherOfficer: '其他專人', hintClaimFirst: '請先認領案件，才能回覆。',
    summary: { reason: '原因', lastQuestion: '最後問題', channel: '管道', user: '使用者', created: '建立時間',
               waited: '已等候', minutes: '{minutes} 分鐘', contact: '聯絡方式', callbackAt: '預定聯繫時間',
               outcome: '結案結果' },
    officerAuthor: '專人・{name}',
    buttons: '按鈕：{titles}', buttonSep: '｜', pressed: '（按下按鈕：{payload}）',
    replyEmpty: '回覆內容不可空白。', replyLong: '回覆內容最多 {limit} 字。', noteEmpty: '備註內容不可空白。',
    assistIdle: '選擇案件後，這裡會列出知識庫中最相關的條目。',
    assistLoading: '查詢中…', assistQuestion: '依據問題：「{question}」',
    assistUnavailable: '知識庫建議暫時無法使用。', assistNoQuestion: '使用者尚未提出問題。',
    assistNone: '知識庫中沒有相關條目。', assistInsert: '插入回覆',
    age: '建立於 {age}前', minutesAgo: '{n} 分鐘', hoursAgo: '{h} 小時 {m} 分',
    daysAgo: '{d} 天 {h} 小時', contactTime: '方便時段：{time}', newBadge: '新',
    outcome: '結果：{outcome}', chooseOutcome: '請先選擇結案結果。', chooseOfficer: '請選擇要轉交的專人。',
    transferNoteEmpty: '請寫一句轉交說明。', noOtherOfficer: '（沒有其他專人帳號）',
    notifyTitle: '新案件', notifyBody: '有 {n} 件新案件等待處理。',
    searchNone: '找不到符合的案件。', searchCount: '找到 {n} 件。', searchEmpty: '請輸入至少一個搜尋條件。',
    cannedEmpty: '尚無罐頭回覆，可在下方新增。', cannedInsert: '插入', cannedDelete: '刪除',
    cannedDeleteLabel: '刪除罐頭回覆「{title}」', cannedFields: '請填寫標題與內容。', cannedPick: '罐頭回覆…',
    openTicket: '開啟案件 #{id}',
  };
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? String(values[key]) : m));
  }
  const MONEY_SLOTS = new Set(['total_budget', 'company_capital', 'capital_spending', 'loan_amount']);
  const CLAIMABLE = new Set(['waiting', 'callback', 'awaiting_contact']);
  const TABS = {
    waiting: (t) => t.state === 'waiting',
    mine: (t) => t.state === 'with_officer' && S.officer !== null && t.officer_id === S.officer.id,
    active: (t) => t.state === 'with_officer',
    callback: (t) => (t.state === 'callback' || t.state === 'awaiting_contact') && !!t.contact,
    nocontact: (t) => (t.state === 'callback' || t.state === 'awaiting_contact') && !t.contact,
  };
  // tickets that ask for someone: new ones raise the title count, a sound and a notification
  const NEEDS_SOMEONE = (t) => t.state === 'waiting' || t.state === 'callback' || t.state === 'awaiting_contact';

  const S = {
    officer: null, csrf: null, tab: 'waiting', tickets: [], queueSignature: '',
    selectedId: null, ticket: null, cursor: 0, seen: new Set(), lastUserMessageId: 0,
    drafts: new Map(), pollTimer: null, polling: false, pollAgain: false, busy: false,
    sort: 'oldest', known: null, fresh: new Set(), searchResults: [], facts: null, canned: [], officers: [],
  };

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ DOM helpers (textContent only)
  function el(tag, opts, children) {
    const node = document.createElement(tag);
    const o = opts || {};
    if (o.cls) node.className = o.cls;
    if (o.text !== undefined && o.text !== null) node.textContent = String(o.text);
    if (o.attrs) {
      for (const [k, v] of Object.entries(o.attrs)) {
        if (v !== undefined && v !== null && v !== false) node.setAttribute(k, String(v));
      }
    }
    for (const child of children || []) {
      if (child) node.appendChild(child);
    }
    return node;
  }

  function setText(id, text) { $(id).textContent = text || ''; }
  function show(node, visible) { node.hidden = !visible; }

  const timeFormat = new Intl.DateTimeFormat('zh-TW', {
    timeZone: 'Asia/Taipei', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false,
  });
  function fmtTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : timeFormat.format(d);
  }

  function fmtValue(key, value) {
    if (value === true) return T.yes;
    if (value === false) return T.no;
    if (typeof value === 'number') {
      const n = value.toLocaleString('zh-TW');
      if (MONEY_SLOTS.has(key)) return fill(T.money, { n });
      if (key === 'employees') return fill(T.people, { n });
      return n;
    }
    if (typeof value === 'string') return value;
    return JSON.stringify(value);
  }

  function shorten(text, max) {
    const s = String(text || '');
    return s.length > max ? s.slice(0, max - 1) + '…' : s;
  }

  // ------------------------------------------------------------------ API
  class ApiError extends Error {
    constructor(status, message, body) { super(message); this.status = status; this.body = body; }
  }

  async function api(method, path, body, opts) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      if (S.csrf) headers['X-CSRF-Token'] = S.csrf;
      init.body = JSON.stringify(body || {});
    }
    let resp;
    try {
      resp = await fetch(API + path, init);
    } catch (err) {
      throw new ApiError(0, T.offline);
    }
    let data = null;
    try { data = await resp.json(); } catch (err) { data = null; }
    if (!resp.ok) {
      const message = data && typeof data.detail === 'string' ? data.detail : fill(T.httpError, { status: resp.status });
      if (resp.status === 401 && !(opts && opts.quiet401)) sessionLost();
      throw new ApiError(resp.status, message, data);
    }
    return data;
  }

  // ------------------------------------------------------------------ login / logout
  function showLogin(message) {
    stopPolling();
    S.officer = null; S.csrf = null; S.selectedId = null; S.ticket = null; S.tickets = []; S.queueSignature = '';
    S.known = null; S.fresh = new Set();
    show($('app-view'), false);
    show($('login-view'), true);
    setText('login-error', message || '');
    document.title = T.pageTitle;
    $('login-username').focus();
  }

  function sessionLost() {
    if (S.officer) showLogin(T.sessionLost);
  }

  function showApp(data) {
    S.officer = data.officer;
    S.csrf = data.csrf_token;
    setText('officer-name', S.officer.name + '（' + S.officer.username + '）');
    show($('dashboard-link'), !!S.officer.supervisor);
    show($('login-view'), false);
    show($('app-view'), true);
    renderTicketEmpty();
    loadCanned();
    refreshNow();
  }

  async function onLogin(ev) {
    ev.preventDefault();
    const username = $('login-username').value.trim();
    const password = $('login-password').value;
    if (!username || !password) { setText('login-error', T.loginFields); return; }
    $('login-submit').disabled = true;
    setText('login-error', '');
    try {
      const data = await api('POST', '/login', { username, password }, { quiet401: true });
      $('login-password').value = '';
      showApp(data);
    } catch (err) {
      setText('login-error', err.message);
    } finally {
      $('login-submit').disabled = false;
    }
  }

  async function onLogout() {
    try { await api('POST', '/logout', {}); } catch (err) { /* the session is gone either way */ }
    showLogin(T.loggedOut);
  }

  // ------------------------------------------------------------------ polling
  function stopPolling() {
    if (S.pollTimer) clearTimeout(S.pollTimer);
    S.pollTimer = null;
  }

  function schedule() {
    if (S.officer && !S.pollTimer) S.pollTimer = setTimeout(poll, POLL_MS);
  }

  function refreshNow() {
    stopPolling();
    if (S.polling) { S.pollAgain = true; return; }
    poll();
  }

  async function poll() {
    S.pollTimer = null;
    if (!S.officer) return;
    S.polling = true;
    const id = S.selectedId;
    const params = new URLSearchParams();
    if (id !== null) { params.set('ticket', String(id)); params.set('since', String(S.cursor)); }
    try {
      const data = await api('GET', '/updates' + (id !== null ? '?' + params.toString() : ''));
      setText('connection-status', '');
      applyQueue(data.tickets);
      if (id !== null && id === S.selectedId && data.ticket) {
        applyTicket(data.ticket);
        appendMessages(data.messages);
        renderNotes(data.notes);
        S.cursor = Math.max(S.cursor, data.cursor || 0);
      }
    } catch (err) {
      if (err.status === 404 && id !== null && id === S.selectedId) {
        renderTicketEmpty();
      } else if (err.status !== 401) {
        setText('connection-status', T.reconnecting);
      }
    } finally {
      S.polling = false;
      if (S.pollAgain) { S.pollAgain = false; poll(); } else { schedule(); }
    }
  }

  // ------------------------------------------------------------------ queue
  function applyQueue(tickets) {
    S.tickets = tickets || [];
    const counts = { waiting: 0, mine: 0, active: 0, callback: 0, nocontact: 0 };
    for (const t of S.tickets) {
      for (const [tab, test] of Object.entries(TABS)) if (test(t)) counts[tab] += 1;
    }
    for (const tab of Object.keys(TABS)) setText('count-' + tab, String(counts[tab]));
    noticeNew();
    renderQueue();
  }

  // A ticket is new until this officer opens it; the first queue after login counts as new too.
  function noticeTitle() {
    const n = S.fresh.size;
    document.title = (n ? '(' + n + ') ' : '') + T.pageTitle;
  }

  function noticeNew() {
    const open = S.tickets.filter(NEEDS_SOMEONE);
    const ids = new Set(open.map((t) => t.id));
    const arrived = [];
    for (const t of open) {
      if (S.known !== null && !S.known.has(t.id)) arrived.push(t);
      if (S.known === null || !S.known.has(t.id)) S.fresh.add(t.id);
    }
    for (const id of Array.from(S.fresh)) if (!ids.has(id)) S.fresh.delete(id);
    S.known = ids;
    const n = S.fresh.size;
    document.title = (n ? '(' + n + ') ' : '') + T.pageTitle;
    if (arrived.length) alertNew(arrived.length);
  }

  function alertNew(n) {
    if (!$('notify-toggle').checked) return;
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx) {
        const ctx = new Ctx();
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = 880; gain.gain.value = 0.08;
        osc.connect(gain); gain.connect(ctx.destination);
        osc.start(); osc.stop(ctx.currentTime + 0.25);
        osc.onended = () => ctx.close();
      }
    } catch (err) { /* no sound device: the title count still shows it */ }
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      try { new Notification(T.notifyTitle, { body: fill(T.notifyBody, { n }) }); } catch (err) { /* ignored */ }
    }
  }

  function onNotifyToggle() {
    const on = $('notify-toggle').checked;
    try { localStorage.setItem('console:notify', on ? '1' : '0'); } catch (err) { /* private mode */ }
    if (on && 'Notification' in window && Notification.permission === 'default') Notification.requestPermission();
  }

  function waitingMinutes(t) { return Math.floor((t.waiting_seconds || 0) / 60); }

  function fmtAge(seconds) {
    const m = Math.floor((seconds || 0) / 60);
    if (m < 60) return fill(T.minutesAgo, { n: m });
    const h = Math.floor(m / 60);
    if (h < 24) return fill(T.hoursAgo, { h, m: m % 60 });
    return fill(T.daysAgo, { d: Math.floor(h / 24), h: h % 24 });
  }

  function visibleTickets() {
    if (S.tab === 'search') return S.searchResults;
    const items = S.tickets.filter(TABS[S.tab]);
    items.sort((a, b) => (S.sort === 'newest' ? -1 : 1) * (Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id));
    return items;
  }

  function renderQueue() {
    const items = visibleTickets();
    const signature = JSON.stringify([S.tab, S.sort, S.selectedId, items.map((t) => [t.id, t.state, t.officer,
      t.contact, waitingMinutes(t), Math.floor((t.age_seconds || 0) / 60), S.fresh.has(t.id),
      t.summary && t.summary.last_question, t.summary && t.summary.contact_time])]);
    if (signature === S.queueSignature) return;
    S.queueSignature = signature;
    const list = $('queue-list');
    list.replaceChildren(...items.map(queueItem));
    show($('queue-empty'), items.length === 0);
  }

  function queueItem(t) {
    const mine = S.officer && t.officer_id === S.officer.id;
    const fresh = S.fresh.has(t.id);
    const lines = [
      el('span', { cls: 'qi-head' }, [
        el('span', { cls: 'qi-id', text: t.ref || '#' + t.id }),
        el('span', { cls: 'chip', text: T.channels[t.channel] || t.channel }),
        el('span', { cls: 'chip state-' + t.state, text: t.state_label || t.state }),
        fresh ? el('span', { cls: 'chip new', text: T.newBadge, attrs: { 'data-testid': 'queue-new' } }) : null,
      ]),
      ...(t.display_name ? [el('span', { cls: 'qi-name', text: t.display_name, attrs: { 'data-testid': 'queue-name' } })] : []),
      el('span', { cls: 'qi-reason', text: t.reason_label || t.reason }),
    ];
    const question = t.summary && t.summary.last_question;
    if (question) lines.push(el('span', { cls: 'qi-question', text: shorten(question, 60) }));
    lines.push(el('span', { cls: 'qi-age', text: fill(T.age, { age: fmtAge(t.age_seconds) }), attrs: { 'data-testid': 'queue-age' } }));
    if (t.state === 'waiting') {
      lines.push(el('span', { cls: 'qi-wait', text: fill(T.waited, { minutes: waitingMinutes(t) }),
        attrs: { 'data-testid': 'queue-wait' } }));
    } else if (t.state === 'with_officer') {
      lines.push(el('span', { cls: 'qi-officer' + (mine ? ' mine' : ''),
        text: fill(T.holder, { name: t.officer || '—' }) + (mine ? T.mine : '') }));
    } else if (t.state === 'resolved') {
      if (t.outcome_label) lines.push(el('span', { cls: 'qi-contact', text: fill(T.outcome, { outcome: t.outcome_label }) }));
    } else {
      lines.push(el('span', { cls: 'qi-contact', text: fill(T.contact, { contact: t.contact || (t.state === 'awaiting_contact' ? T.contactAsking : T.contactNone) }),
        attrs: { 'data-testid': 'queue-contact' } }));
      const when = t.summary && t.summary.contact_time;
      if (when) lines.push(el('span', { cls: 'qi-contact-time', text: fill(T.contactTime, { time: when }), attrs: { 'data-testid': 'queue-contact-time' } }));
    }
    if (t.state === 'resolved' && t.contact) lines.push(el('span', { cls: 'qi-contact', text: fill(T.contact, { contact: t.contact }) }));
    const button = el('button', { cls: 'queue-open', attrs: { type: 'button', 'aria-label': null,
      'aria-current': t.id === S.selectedId ? 'true' : null } }, lines);
    button.addEventListener('click', () => selectTicket(t.id));
    return el('li', {
      cls: 'queue-item' + (t.id === S.selectedId ? ' selected' : '') + (fresh ? ' fresh' : ''),
      attrs: { 'data-testid': 'queue-item', 'data-ticket-id': t.id, 'data-state': t.state },
    }, [button]);
  }

  function selectTab(tab) {
    S.tab = tab;
    for (const btn of document.querySelectorAll('.tab')) {
      btn.setAttribute('aria-selected', btn.dataset.tab === tab ? 'true' : 'false');
    }
    show($('search-form'), tab === 'search');
    if (tab === 'search') $('search-q').focus();
    S.queueSignature = '';
    renderQueue();
  }

  async function onSearch(ev) {
    if (ev) ev.preventDefault();
    const params = new URLSearchParams();
    for (const [key, id] of [['q', 'search-q'], ['phone', 'search-phone'], ['from', 'search-from'],
      ['to', 'search-to'], ['outcome', 'search-outcome']]) {
      const v = $(id).value.trim();
      if (v) params.set(key, v);
    }
    if (![...params.keys()].length) { setText('search-status', T.searchEmpty); return; }
    try {
      const data = await api('GET', '/search?' + params.toString());
      S.searchResults = data.tickets || [];
      setText('search-status', S.searchResults.length ? fill(T.searchCount, { n: S.searchResults.length }) : T.searchNone);
    } catch (err) {
      setText('search-status', err.message);
    }
    S.queueSignature = '';
    renderQueue();
  }

  // ------------------------------------------------------------------ ticket view
  function renderTicketEmpty() {
    saveDraft();
    S.selectedId = null; S.ticket = null; S.cursor = 0; S.seen = new Set();
    show($('ticket-view'), false);
    show($('ticket-empty'), true);
    $('assist-list').replaceChildren();
    setText('assist-question', '');
    setText('assist-status', T.assistIdle);
    S.queueSignature = '';
    renderQueue();
  }

  function saveDraft() {
    if (S.selectedId !== null) S.drafts.set(S.selectedId, $('reply-text').value);
  }

  async function selectTicket(id) {
    if (id === S.selectedId) return;
    S.fresh.delete(id);
    noticeTitle();
    closePanels();
    saveDraft();
    S.selectedId = id; S.ticket = null; S.cursor = 0; S.seen = new Set(); S.lastUserMessageId = 0; S.facts = null;
    S.queueSignature = '';
    renderQueue();
    show($('ticket-empty'), false);
    show($('ticket-view'), true);
    $('transcript').replaceChildren();
    $('notes-list').replaceChildren();
    $('ticket-summary').replaceChildren();
    setText('ticket-error', '');
    setText('ticket-title', fill(T.ticketTitle, { id }));
    $('reply-text').value = S.drafts.get(id) || '';
    updateCount();
    try {
      const data = await api('GET', '/tickets/' + id);
      if (S.selectedId !== id) return;
      S.facts = data.ticket.facts || null;
      applyTicket(data.ticket);
      appendMessages(data.messages);
      renderNotes(data.notes);
      S.cursor = Math.max(S.cursor, data.cursor || 0);
      loadAssist();
    } catch (err) {
      if (S.selectedId === id) setText('ticket-error', err.message);
    }
  }

  function applyTicket(t) {
    S.ticket = t;
    const me = S.officer ? S.officer.id : null;
    const mine = t.state === 'with_officer' && t.officer_id === me;
    const heldByOther = t.state === 'with_officer' && t.officer_id !== me;
    setText('ticket-title', fill(T.ticketTitleReason, { id: t.id, reason: t.reason_label || t.reason }));
    const state = $('ticket-state');
    state.textContent = t.state_label || t.state;
    state.dataset.state = t.state;
    state.className = 'state chip state-' + t.state;
    setText('ticket-officer', t.officer ? fill(T.holder, { name: t.officer }) + (t.officer_id === me ? T.mine : '')
      : (t.state === 'resolved' ? '' : T.notClaimed));

    show($('claim'), CLAIMABLE.has(t.state));
    show($('take-over'), heldByOther);
    show($('resolve'), t.state !== 'resolved');
    $('resolve').disabled = heldByOther;
    show($('spam'), t.state !== 'resolved');
    $('spam').disabled = heldByOther;
    show($('transfer'), mine);
    if (t.state === 'resolved') closePanels();
    show($('propose-draft'), t.state === 'resolved');
    $('propose-draft').href = '/console/draft?ticket=' + t.id;
    $('reply-send').disabled = !mine;
    let hint = '';
    if (t.state === 'resolved') hint = T.hintResolved;
    else if (heldByOther) hint = fill(T.hintHeldBy, { name: t.officer || T.otherOfficer });
    else if (!mine) hint = T.hintClaimFirst;
    setText('reply-hint', hint);
    renderSummary(t);
  }

  function summaryRow(label, value) {
    return [el('dt', { text: label }), el('dd', { text: value })];
  }

  function renderSummary(t) {
    const rows = [];
    const L = T.summary;
    if (S.facts) {
      for (const f of S.facts) rows.push(...summaryRow(f.label, f.value));
    } else {
      rows.push(...summaryRow(L.reason, t.reason_label || t.reason));
      const summary = t.summary || {};
      if (summary.last_question) rows.push(...summaryRow(L.lastQuestion, summary.last_question));
      if (t.contact) rows.push(...summaryRow(L.contact, t.contact));
    }
    rows.push(...summaryRow(L.channel, T.channels[t.channel] || t.channel));
    if (t.display_name) rows.push(...summaryRow(L.user, t.display_name));
    rows.push(...summaryRow(L.created, fmtTime(t.created_at)));
    if (t.state === 'waiting') rows.push(...summaryRow(L.waited, fill(L.minutes, { minutes: waitingMinutes(t) })));
    if (t.callback_after && t.state !== 'resolved') rows.push(...summaryRow(L.callbackAt, fmtTime(t.callback_after)));
    if (t.outcome_label) rows.push(...summaryRow(L.outcome, t.outcome_label));
    const dl = $('ticket-summary');
    dl.replaceChildren(...rows);
  }

  async function refreshFacts() {
    const id = S.selectedId;
    if (id === null) return;
    try {
      const data = await api('GET', '/tickets/' + id);
      if (S.selectedId !== id) return;
      S.facts = data.ticket.facts || null;
      renderSummary(data.ticket);
    } catch (err) { /* the next poll says what is wrong */ }
  }

  function messageItem(m) {
    const who = m.author === 'officer' && m.officer ? fill(T.officerAuthor, { name: m.officer })
      : (T.authors[m.author] || m.author);
    const parts = [
      el('div', { cls: 'msg-meta' }, [
        el('span', { cls: 'msg-author', text: who }),
        el('time', { cls: 'msg-time', text: fmtTime(m.created_at), attrs: { datetime: m.created_at } }),
      ]),
      el('p', { cls: 'msg-text', text: m.text || '' }),
    ];
    const payload = m.payload || {};
    if (Array.isArray(payload.buttons) && payload.buttons.length) {
      parts.push(el('div', { cls: 'msg-buttons', text: fill(T.buttons, { titles: payload.buttons.map((b) => b.title).join(T.buttonSep) }) }));
    }
    if (m.author === 'user' && payload.payload) {   // the button the bot offered and the user pressed
      parts.push(el('div', { cls: 'msg-buttons', text: fill(T.pressed, { payload: payload.payload }) }));
    }
    return el('li', {
      cls: 'msg msg-' + m.author,
      attrs: { 'data-testid': 'transcript-message', 'data-author': m.author, 'data-message-id': m.id },
    }, parts);
  }

  function appendMessages(messages) {
    if (!messages || !messages.length) return;
    const list = $('transcript');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    let newUserMessage = false;
    for (const m of messages) {
      if (S.seen.has(m.id)) continue;
      S.seen.add(m.id);
      list.appendChild(messageItem(m));
      if (m.author === 'user' && m.id > S.lastUserMessageId) {
        if (S.lastUserMessageId !== 0) newUserMessage = true;
        S.lastUserMessageId = m.id;
      }
    }
    if (atBottom || list.children.length <= messages.length) list.scrollTop = list.scrollHeight;
    if (newUserMessage) refreshFacts();
  }

  function renderNotes(notes) {
    const list = $('notes-list');
    list.replaceChildren(...(notes || []).map((n) => el('li', {
      cls: 'note', attrs: { 'data-testid': 'note', 'data-note-id': n.id },
    }, [
      el('div', { cls: 'msg-meta' }, [
        el('span', { cls: 'msg-author', text: n.officer }),
        el('time', { cls: 'msg-time', text: fmtTime(n.created_at), attrs: { datetime: n.created_at } }),
      ]),
      el('p', { cls: 'msg-text', text: n.text }),
    ])));
  }

  // ------------------------------------------------------------------ actions
  async function act(button, fn) {
    if (S.busy || S.selectedId === null) return;
    S.busy = true;
    if (button) button.disabled = true;
    setText('ticket-error', '');
    const id = S.selectedId;
    try {
      await fn(id);
    } catch (err) {
      if (S.selectedId === id) {
        setText('ticket-error', err.message);
        if (err.body && err.body.ticket) applyTicket(err.body.ticket);
      }
    } finally {
      S.busy = false;
      if (button) button.disabled = false;
      if (S.ticket) applyTicket(S.ticket);
      refreshNow();
    }
  }

  function onClaim(takeOver) {
    const button = takeOver ? $('take-over') : $('claim');
    return act(button, async (id) => {
      const data = await api('POST', '/tickets/' + id + '/claim', { take_over: takeOver });
      if (S.selectedId === id) applyTicket(data.ticket);
    });
  }

  function closePanels() {
    show($('resolve-panel'), false);
    show($('transfer-panel'), false);
  }

  function onResolve() {
    if (S.selectedId === null || $('resolve').hidden || $('resolve').disabled) return;
    show($('transfer-panel'), false);
    show($('resolve-panel'), true);
    $('resolve-outcome').focus();
  }

  function onResolveConfirm(ev) {
    ev.preventDefault();
    const outcome = $('resolve-outcome').value;
    if (!outcome) { setText('ticket-error', T.chooseOutcome); $('resolve-outcome').focus(); return; }
    return act($('resolve-confirm'), async (id) => {
      const data = await api('POST', '/tickets/' + id + '/resolve', { outcome });
      if (S.selectedId === id) {
        applyTicket(data.ticket);
        $('resolve-outcome').value = '';
        closePanels();
      }
    });
  }

  async function onTransfer() {
    if (S.selectedId === null || $('transfer').hidden) return;
    show($('resolve-panel'), false);
    try {
      const data = await api('GET', '/officers');
      const others = (data.officers || []).filter((o) => !S.officer || o.id !== S.officer.id);
      const select = $('transfer-officer');
      select.replaceChildren(...(others.length ? others.map((o) => el('option', { text: o.name + '（' + o.username + '）', attrs: { value: o.id } }))
        : [el('option', { text: T.noOtherOfficer, attrs: { value: '' } })]));
      show($('transfer-panel'), true);
      select.focus();
    } catch (err) {
      setText('ticket-error', err.message);
    }
  }

  function onTransferConfirm(ev) {
    ev.preventDefault();
    const officerId = Number($('transfer-officer').value);
    const text = $('transfer-note').value.trim();
    if (!officerId) { setText('ticket-error', T.chooseOfficer); return; }
    if (!text) { setText('ticket-error', T.transferNoteEmpty); $('transfer-note').focus(); return; }
    return act($('transfer-confirm'), async (id) => {
      const data = await api('POST', '/tickets/' + id + '/transfer', { officer_id: officerId, text });
      if (S.selectedId === id) {
        applyTicket(data.ticket);
        $('transfer-note').value = '';
        closePanels();
      }
    });
  }

  function onSpam() {
    return act($('spam'), async (id) => {
      const data = await api('POST', '/tickets/' + id + '/spam', {});
      if (S.selectedId === id) applyTicket(data.ticket);
    });
  }

  function onReply(ev) {
    ev.preventDefault();
    const text = $('reply-text').value.trim();
    if (!text) { setText('ticket-error', T.replyEmpty); return; }
    if (text.length > MAX_TEXT) { setText('ticket-error', fill(T.replyLong, { limit: MAX_TEXT })); return; }
    return act($('reply-send'), async (id) => {
      const data = await api('POST', '/tickets/' + id + '/reply', { text });
      S.drafts.delete(id);
      if (S.selectedId === id) {
        $('reply-text').value = '';
        updateCount();
        appendMessages([data.message]);
      }
    });
  }

  function onNote(ev) {
    ev.preventDefault();
    const text = $('note-text').value.trim();
    if (!text) { setText('ticket-error', T.noteEmpty); return; }
    return act($('note-add'), async (id) => {
      await api('POST', '/tickets/' + id + '/notes', { text });
      if (S.selectedId === id) $('note-text').value = '';
    });
  }

  function updateCount() {
    const n = $('reply-text').value.length;
    setText('reply-count', n + '/' + MAX_TEXT);
  }

  // ------------------------------------------------------------------ agent assist
  async function loadAssist() {
    const id = S.selectedId;
    if (id === null) return;
    const q = $('assist-query').value.trim();
    setText('assist-status', T.assistLoading);
    try {
      const data = await api('GET', '/tickets/' + id + '/assist' + (q ? '?q=' + encodeURIComponent(q) : ''));
      if (S.selectedId !== id) return;
      setText('assist-question', data.question ? fill(T.assistQuestion, { question: data.question }) : '');
      $('assist-list').replaceChildren(...data.entries.map(assistEntry));
      if (!data.available) setText('assist-status', T.assistUnavailable);
      else if (!data.question) setText('assist-status', T.assistNoQuestion);
      else if (!data.entries.length) setText('assist-status', T.assistNone);
      else setText('assist-status', '');
    } catch (err) {
      if (S.selectedId === id) setText('assist-status', err.message);
    }
  }

  function assistEntry(e) {
    const insert = el('button', { cls: 'small', text: T.assistInsert, attrs: { type: 'button', 'data-testid': 'assist-insert' } });
    insert.addEventListener('click', () => {
      const box = $('reply-text');
      const current = box.value.trim();
      box.value = (current ? current + '\n\n' : '') + (e.reply || e.text || '');
      updateCount();
      box.focus();
    });
    return el('li', { cls: 'assist-entry', attrs: { 'data-testid': 'assist-entry', 'data-entry-id': e.id } }, [
      el('h4', { text: e.title }),
      e.citation ? el('p', { cls: 'muted small', text: e.citation }) : null,
      el('p', { cls: 'assist-text', text: e.text }),
      insert,
    ]);
  }

  // ------------------------------------------------------------------ canned replies (shared)
  async function loadCanned() {
    try {
      const data = await api('GET', '/canned');
      S.canned = data.replies || [];
    } catch (err) { return; }
    const select = $('canned-select');
    select.replaceChildren(el('option', { text: T.cannedPick, attrs: { value: '' } }),
      ...S.canned.map((c) => el('option', { text: c.title, attrs: { value: c.id } })));
    const list = $('canned-list');
    if (!S.canned.length) {
      list.replaceChildren(el('li', { cls: 'muted small', text: T.cannedEmpty }));
      return;
    }
    list.replaceChildren(...S.canned.map((c) => {
      const insert = el('button', { cls: 'small', text: T.cannedInsert, attrs: { type: 'button', 'data-testid': 'canned-insert' } });
      insert.addEventListener('click', () => insertText(c.text));
      const del = el('button', { cls: 'small', text: T.cannedDelete, attrs: { type: 'button', 'aria-label': fill(T.cannedDeleteLabel, { title: c.title }) } });
      del.addEventListener('click', async () => {
        try { await api('POST', '/canned/' + c.id + '/delete', {}); } catch (err) { setText('assist-status', err.message); }
        loadCanned();
      });
      return el('li', { cls: 'canned-item', attrs: { 'data-testid': 'canned-item' } }, [
        el('strong', { text: c.title }), el('p', { cls: 'small', text: shorten(c.text, 80) }), insert, del]);
    }));
  }

  function insertText(text) {
    const box = $('reply-text');
    const current = box.value.trim();
    box.value = (current ? current + '\n\n' : '') + text;
    updateCount();
    box.focus();
  }

  async function onCannedAdd(ev) {
    ev.preventDefault();
    const title = $('canned-title').value.trim();
    const text = $('canned-text').value.trim();
    if (!title || !text) { setText('assist-status', T.cannedFields); return; }
    try {
      await api('POST', '/canned', { title, text });
      $('canned-title').value = ''; $('canned-text').value = '';
    } catch (err) { setText('assist-status', err.message); }
    loadCanned();
  }

  function onCannedPick() {
    const id = Number($('canned-select').value);
    const c = S.canned.find((x) => x.id === id);
    if (c) insertText(c.text);
    $('canned-select').value = '';
  }

  // ------------------------------------------------------------------ keyboard
  function nextTicket(step) {
    const items = visibleTickets();
    if (!items.length) return;
    const at = items.findIndex((t) => t.id === S.selectedId);
    const next = items[at === -1 ? 0 : (at + step + items.length) % items.length];
    selectTicket(next.id).then(() => {
      const node = document.querySelector('.queue-item[data-ticket-id="' + next.id + '"] .queue-open');
      if (node) node.focus();
    });
  }

  function onKey(ev) {
    if (!S.officer || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === 'Escape') { closePanels(); return; }
    const target = ev.target;
    const typing = target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
    if (typing) return;
    const key = ev.key.toLowerCase();
    if (key === 'n' || key === 'j') { ev.preventDefault(); nextTicket(1); }
    else if (key === 'k') { ev.preventDefault(); nextTicket(-1); }
    else if (key === 'c' && S.ticket && !$('claim').hidden) { ev.preventDefault(); onClaim(false); }
    else if (key === 'r' && S.ticket) { ev.preventDefault(); $('reply-text').focus(); }
    else if (key === 'e' && S.ticket) { ev.preventDefault(); onResolve(); }
    else if (key === 't' && S.ticket) { ev.preventDefault(); onTransfer(); }
    else if (key === '/') { ev.preventDefault(); selectTab('search'); }
  }

  // ------------------------------------------------------------------ start
  function bind() {
    $('login-form').addEventListener('submit', onLogin);
    $('logout').addEventListener('click', onLogout);
    for (const btn of document.querySelectorAll('.tab')) btn.addEventListener('click', () => selectTab(btn.dataset.tab));
    $('claim').addEventListener('click', () => onClaim(false));
    $('take-over').addEventListener('click', () => onClaim(true));
    $('resolve').addEventListener('click', onResolve);
    $('spam').addEventListener('click', onSpam);
    $('resolve-panel').addEventListener('submit', onResolveConfirm);
    $('resolve-cancel').addEventListener('click', closePanels);
    $('transfer').addEventListener('click', onTransfer);
    $('transfer-panel').addEventListener('submit', onTransferConfirm);
    $('transfer-cancel').addEventListener('click', closePanels);
    $('search-form').addEventListener('submit', onSearch);
    $('queue-sort').addEventListener('change', () => { S.sort = $('queue-sort').value; S.queueSignature = ''; renderQueue(); });
    $('canned-form').addEventListener('submit', onCannedAdd);
    $('canned-select').addEventListener('change', onCannedPick);
    $('notify-toggle').addEventListener('change', onNotifyToggle);
    try { $('notify-toggle').checked = localStorage.getItem('console:notify') === '1'; } catch (err) { /* private mode */ }
    document.addEventListener('keydown', onKey);
    $('reply-form').addEventListener('submit', onReply);
    $('reply-text').addEventListener('input', updateCount);
    $('reply-text').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); $('reply-form').requestSubmit(); }
    });
    $('note-form').addEventListener('submit', onNote);
    $('assist-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadAssist(); });
  }

  async function start() {
    bind();
    try {
      showApp(await api('GET', '/me', undefined, { quiet401: true }));
    } catch (err) {
      showLogin(err.status === 401 ? '' : err.message);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

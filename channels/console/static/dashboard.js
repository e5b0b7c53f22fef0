/* The supervisor dashboard (issue 16): figures, server-drawn SVG charts, CSV per table, the
 * unanswered questions grouped by similarity, and the review of knowledge drafts.
 * Every zh-TW string of this page is in T (the API's messages come from channels/console/labels.py). */
(function () {
  'use strict';
  const T = {
    notSupervisor: '此頁面僅限督導使用。',
    login: '請先登入專人服務台。',
    loading: '計算中…',
    failed: '載入失敗：',
    none: '—',
    minutes: '{v} 分鐘',
    cards: {
      conversations: '對話數', user_messages: '使用者訊息', containment: '自助完成率', handoffs: '轉接專人',
      wait_median: '排隊等候中位數', wait_p80: '排隊等候第80百分位', first_response: '首次回覆中位數（服務時間）',
      resolution: '結案時間中位數（服務時間）', out_of_hours: '非服務時間轉接', no_officer: '無專人認領',
      callbacks: '回撥 登記／已回撥／聯繫上', feedback: '小幫手好評率', csat: '專人服務滿意度（平均）'
    },
    head: {
      figure: '指標', value: '數值', reason: '原因', count: '次數', entry: '知識條目', title: '標題',
      group: '代表問題', questions: '相似問法', day: '日期', asked_q: '使用者提問', handoffs: '轉接',
      kind: '回答類型', up: '👍', down: '👎', close: '結案方式'
    },
    kinds: { answer: '知識回答', direct: '規則直答', calc: '試算結果', unanswered: '無法回答' },
    reasons: { requested: '使用者要求', complaint: '申訴', case_status: '案件進度', misunderstood: '小幫手無法理解' },
    close: { resolved: '已處理結案', spam: '垃圾訊息', callback_reached: '回撥聯繫上', callback_not_reached: '回撥未聯繫上' },
    fbReasons: { wrong: '答案不正確', unclear: '看不懂', not_asked: '不是我問的', none: '未說明原因' },
    csatRows: { asked: '已詢問', answered: '已回答', skipped: '略過', rate: '回覆率', mean: '平均分數' },
    sources: { unanswered: '無法回答', disliked: '👎', misunderstood: '轉接（無法理解）' },
    bySimilarity: '依檢索模型的語意相似度分組。',
    byText: '語意模型暫不可用：僅依相同文字分組。',
    draft: {
      by: '提案：{officer}・案件 #{ticket}・{state}', topic: '主題：', questions: '問法：', answer: '答案：',
      rule: '依據：', approve: '核准', reject: '退回', exportBtn: '匯出 YAML', note: '審核意見（選填）',
      states: { proposed: '待審核', approved: '已核准', rejected: '已退回' }
    },
    summaryRows: {
      conversations: '對話數', user_messages: '使用者訊息數', messages: '訊息總數', contained: '小幫手獨立完成',
      containment: '自助完成率', handoffs: '轉接專人', out_of_hours: '非服務時間轉接', no_officer: '無專人認領',
      wait_median: '排隊等候中位數', wait_p80: '排隊等候第80百分位', wait_mean: '排隊等候平均',
      first_median: '首次回覆中位數', first_mean: '首次回覆平均', res_median: '結案時間中位數', res_mean: '結案時間平均'
    }
  };
  const $ = (id) => document.getElementById(id);
  let csrf = '';

  function fill(t, v) { return t.replace(/\{(\w+)\}/g, (_, k) => (v[k] === undefined || v[k] === null ? '' : String(v[k]))); }
  function el(tag, attrs, text) {
    const n = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (v !== null && v !== undefined) n.setAttribute(k, v); });
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }
  function pct(x) { return x === null || x === undefined ? T.none : (x * 100).toFixed(1) + '%'; }
  function mins(s) { return s === null || s === undefined ? T.none : fill(T.minutes, { v: (s / 60).toFixed(1) }); }
  function table(id, head, rows) {
    const t = $(id);
    t.textContent = '';
    const tr = el('tr');
    head.forEach((h) => tr.appendChild(el('th', null, h)));
    t.appendChild(tr);
    rows.forEach((r) => {
      const row = el('tr');
      r.forEach((c) => row.appendChild(el('td', null, c)));
      t.appendChild(row);
    });
  }
  async function api(method, path, body) {
    const headers = { 'X-CSRF-Token': csrf };
    if (body) headers['Content-Type'] = 'application/json';
    const res = await fetch('/console/api' + path, { method, headers, credentials: 'same-origin', cache: 'no-store',
                                                    body: body ? JSON.stringify(body) : undefined });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) { const e = new Error(data.detail || ('HTTP ' + res.status)); e.status = res.status; throw e; }
    return data;
  }
  function query() { return '?from=' + encodeURIComponent($('from').value) + '&to=' + encodeURIComponent($('to').value); }

  function cards(f) {
    const box = $('cards');
    box.textContent = '';
    const c = T.cards;
    const items = [
      [c.conversations, f.conversations, 'conversations'], [c.user_messages, f.user_messages, 'user_messages'],
      [c.containment, pct(f.containment), 'containment'], [c.handoffs, f.handoffs, 'handoffs'],
      [c.wait_median, mins(f.queue_wait.median), 'wait_median'], [c.wait_p80, mins(f.queue_wait.p80), 'wait_p80'],
      [c.first_response, mins(f.first_response.median), 'first_response'],
      [c.resolution, mins(f.resolution.median), 'resolution'], [c.out_of_hours, f.out_of_hours, 'out_of_hours'],
      [c.no_officer, f.no_officer, 'no_officer'],
      [c.callbacks, [f.callbacks.requested, f.callbacks.made, f.callbacks.reached].join('／'), 'callbacks'],
      [c.feedback, pct(f.feedback.rate) + '（' + f.feedback.up + '／' + (f.feedback.up + f.feedback.down) + '）', 'feedback'],
      [c.csat, f.csat.mean === null ? T.none : f.csat.mean.toFixed(2) + '（' + f.csat.answered + '）', 'csat']
    ];
    items.forEach(([k, v, key]) => {
      const card = el('div', { class: 'card', 'data-testid': 'card-' + key });
      card.appendChild(el('div', { class: 'v' }, v));
      card.appendChild(el('div', { class: 'k' }, k));
      box.appendChild(card);
    });
  }
  function drawCharts(svgs) {
    const box = $('charts');
    box.textContent = '';
    Object.entries(svgs).forEach(([name, svg]) => {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      const wrap = el('div', { class: 'chart', 'data-testid': 'chart-' + name });
      if (doc.documentElement && doc.documentElement.nodeName === 'svg') wrap.appendChild(document.importNode(doc.documentElement, true));
      box.appendChild(wrap);
    });
  }
  function tables(data) {
    const f = data.figures, H = T.head, S = T.summaryRows;
    table('t-summary', [H.figure, H.value], [
      [S.conversations, f.conversations], [S.user_messages, f.user_messages], [S.messages, f.messages],
      [S.contained, f.contained], [S.containment, pct(f.containment)], [S.handoffs, f.handoffs],
      [S.out_of_hours, f.out_of_hours], [S.no_officer, f.no_officer],
      [S.wait_median, mins(f.queue_wait.median)], [S.wait_p80, mins(f.queue_wait.p80)], [S.wait_mean, mins(f.queue_wait.mean)],
      [S.first_median, mins(f.first_response.median)], [S.first_mean, mins(f.first_response.mean)],
      [S.res_median, mins(f.resolution.median)], [S.res_mean, mins(f.resolution.mean)]]);
    table('t-reasons', [H.reason, H.count], Object.entries(f.handoffs_by_reason).map(([k, v]) => [T.reasons[k] || k, v]));
    table('t-close', [H.close, H.count], Object.entries(f.close_reasons).map(([k, v]) => [T.close[k] || k, v]));
    table('t-topics', [H.entry, H.title, H.count], data.topics.map((t) => [t.entry_id, t.title, t.count]));
    const fb = f.feedback;
    table('t-feedback', [H.kind, H.up, H.down], Object.entries(fb.by_kind).map(([k, v]) => [T.kinds[k] || k, v.up, v.down])
      .concat(Object.entries(fb.reasons).map(([k, v]) => ['👎 ' + (T.fbReasons[k] || k), '', v])));
    const c = f.csat, R = T.csatRows;
    table('t-csat', [H.figure, H.value], [[R.asked, c.asked], [R.answered, c.answered], [R.skipped, c.skipped],
      [R.rate, pct(c.response_rate)], [R.mean, c.mean === null ? T.none : c.mean.toFixed(2)]]);
    $('grouping-note').textContent = data.grouped_by_similarity ? T.bySimilarity : T.byText;
    table('t-unanswered', [H.group, H.count, H.questions], data.groups.map((g) => [
      g.label, g.count, g.questions.map((q) => q.text + '（' + q.count + '）').join('；') + '　[' +
        Object.entries(g.sources).map(([k, v]) => (T.sources[k] || k) + ' ' + v).join('、') + ']']));
    table('t-daily', [H.day, H.asked_q, H.handoffs], f.daily.map((d) => [d.day, d.questions, d.handoffs]));
  }
  async function load() {
    $('loading').textContent = T.loading;
    $('dash-error').textContent = '';
    try {
      const data = await api('GET', '/dashboard' + query());
      cards(data.figures);
      drawCharts(data.charts);
      tables(data);
      document.querySelectorAll('a.csv').forEach((a) => {
        a.href = '/console/api/dashboard.csv' + query() + '&table=' + a.dataset.table;
        a.setAttribute('download', '');
      });
      document.body.dataset.loaded = data.period.from + '/' + data.period.to;
    } catch (err) {
      $('dash-error').textContent = T.failed + err.message;
    } finally {
      $('loading').textContent = '';
    }
  }

  // ------------------------------------------------------------------ drafts
  async function loadDrafts() {
    const data = await api('GET', '/drafts');
    const list = $('drafts');
    list.textContent = '';
    $('drafts-empty').hidden = data.drafts.some((d) => d.state === 'proposed');
    data.drafts.forEach((d) => {
      const D = T.draft;
      const li = el('li', { 'data-testid': 'draft', 'data-id': String(d.id), 'data-state': d.state });
      li.appendChild(el('strong', null, d.title));
      li.appendChild(el('div', { class: 'muted' }, fill(D.by, { officer: d.officer, ticket: d.ticket_id, state: D.states[d.state] })));
      li.appendChild(el('div', null, D.topic + d.topic));
      li.appendChild(el('div', null, D.questions + d.questions.join('／')));
      li.appendChild(el('div', null, D.answer + d.answer));
      li.appendChild(el('div', null, D.rule + d.rule.split('|').slice(-1)[0]));
      const actions = el('div', { class: 'actions' });
      if (d.state === 'proposed') {
        const note = el('input', { 'data-testid': 'draft-note', placeholder: D.note, 'aria-label': D.note });
        const ok = el('button', { type: 'button', class: 'primary', 'data-testid': 'draft-approve' }, D.approve);
        const no = el('button', { type: 'button', 'data-testid': 'draft-reject' }, D.reject);
        ok.addEventListener('click', () => review(d.id, true, note.value));
        no.addEventListener('click', () => review(d.id, false, note.value));
        actions.append(note, ok, no);
      } else if (d.state === 'approved') {
        const ex = el('button', { type: 'button', 'data-testid': 'draft-export' }, D.exportBtn);
        ex.addEventListener('click', () => showExport(d.id));
        actions.append(ex);
      }
      li.appendChild(actions);
      list.appendChild(li);
    });
  }
  async function review(id, approve, note) {
    try {
      await api('POST', '/drafts/' + id + '/review', { approve, note: note || null });
    } catch (err) {
      $('dash-error').textContent = err.message;
    }
    await loadDrafts();
  }
  async function showExport(id) {
    const data = await api('GET', '/drafts/' + id + '/export');
    $('export').hidden = false;
    $('export-file').textContent = 'knowledge/entries/' + data.filename;
    $('export-yaml').textContent = data.entry_yaml;
    $('export-bench').textContent = data.bench_yaml;
    $('export-catalogue').textContent = data.catalogue_line;
  }

  async function start() {
    let me;
    try {
      me = await api('GET', '/me');
    } catch (err) {
      $('dash-error').textContent = err.status === 401 ? T.login : T.failed + err.message;
      return;
    }
    csrf = me.csrf_token;
    $('officer-name').textContent = me.officer.name;
    if (!me.officer.supervisor) { $('dash-error').textContent = T.notSupervisor; return; }
    $('dash-main').hidden = false;
    const params = new URLSearchParams(location.search);
    const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);   // Taipei
    const weekAgo = new Date(Date.now() + 8 * 3600 * 1000 - 6 * 86400 * 1000).toISOString().slice(0, 10);
    $('from').value = params.get('from') || weekAgo;
    $('to').value = params.get('to') || today;
    $('period').addEventListener('submit', (e) => { e.preventDefault(); load(); });
    await Promise.all([load(), loadDrafts().catch((err) => { $('dash-error').textContent = err.message; })]);
  }
  start();
})();

/* Propose a knowledge entry from a resolved ticket (issue 16). Strings of this page are in T. */
(function () {
  'use strict';
  const T = {
    login: '請先登入專人服務台。',
    noTicket: '網址缺少案件編號（?ticket=編號）。',
    question: '使用者原本的問題：{q}',
    docs: { seed: '計畫簡報（seed）', 'verified-facts': '已查證資料（verified-facts）' },
    sent: '已送出草稿 #{id}，待督導審核。'
  };
  const $ = (id) => document.getElementById(id);
  let csrf = '';
  async function api(method, path, body) {
    const headers = { 'X-CSRF-Token': csrf };
    if (body) headers['Content-Type'] = 'application/json';
    const res = await fetch('/console/api' + path, { method, headers, credentials: 'same-origin', cache: 'no-store',
                                                    body: body ? JSON.stringify(body) : undefined });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) { const e = new Error(data.detail || ('HTTP ' + res.status)); e.status = res.status; throw e; }
    return data;
  }
  async function start() {
    const ticket = new URLSearchParams(location.search).get('ticket');
    if (!ticket || !/^\d+$/.test(ticket)) { $('d-error').textContent = T.noTicket; return; }
    try {
      csrf = (await api('GET', '/me')).csrf_token;
    } catch (err) {
      $('d-error').textContent = err.status === 401 ? T.login : err.message;
      return;
    }
    let ctx;
    try { ctx = await api('GET', '/tickets/' + ticket + '/draft-context'); } catch (err) { $('d-error').textContent = err.message; return; }
    ctx.topics.forEach((t) => { const o = document.createElement('option'); o.value = t; o.textContent = t; $('d-topic').appendChild(o); });
    ctx.docs.forEach((d) => { const o = document.createElement('option'); o.value = d; o.textContent = T.docs[d] || d; $('d-doc').appendChild(o); });
    if (ctx.ticket.question) {
      $('ticket-question').textContent = T.question.replace('{q}', ctx.ticket.question);
      $('d-questions').value = ctx.ticket.question + '\n';
    }
    $('d-answer').value = ctx.officer_answers.join('\n');
    $('draft-form').hidden = false;
    $('draft-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      $('d-error').textContent = '';
      const body = {
        title: $('d-title').value, topic: $('d-topic').value, answer: $('d-answer').value, doc: $('d-doc').value,
        rule: $('d-rule').value, questions: $('d-questions').value.split('\n').map((q) => q.trim()).filter(Boolean)
      };
      try {
        const data = await api('POST', '/tickets/' + ticket + '/draft', body);
        $('d-result').textContent = T.sent.replace('{id}', data.draft.id);
        $('d-submit').disabled = true;
      } catch (err) {
        $('d-error').textContent = err.message;
      }
    });
  }
  start();
})();

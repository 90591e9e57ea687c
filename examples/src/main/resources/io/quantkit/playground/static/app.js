// quantkit playground: every run belongs to this tab (its id lives only in this page's memory),
// progress is polled from the server, and all text from the server is set with textContent.
(function () {
  'use strict';
  const $ = id => document.getElementById(id);
  const tab = {runId: null, settings: null, timer: null, history: [], models: [], config: null};

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 11;

  const pct = x => (100 * x).toFixed(2) + ' %';
  const signed = x => (x >= 0 ? '+' : '') + x.toFixed(2);

  async function api(method, url, body, headers) {
    const options = {method: method, headers: Object.assign({}, headers || {})};
    if (method !== 'GET') options.headers['X-Quantkit'] = '1';
    if (body !== undefined) options.body = body;
    const response = await fetch(url, options);
    const text = await response.text();
    let data;
    try { data = JSON.parse(text); } catch (e) { data = {error: text}; }
    if (!response.ok) throw new Error(data.error || ('HTTP ' + response.status));
    return data;
  }

  function option(value, label) {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    return o;
  }

  function showError(message) {
    const e = $('error');
    e.textContent = message || '';
    e.hidden = !message;
  }

  // ---------- models ----------
  function renderModels(selectId) {
    const select = $('model');
    select.replaceChildren(...tab.models.map(m => option(m.id, m.name + (m.source === 'upload' ? ' (uploaded)' : ''))));
    if (selectId) select.value = selectId;
    renderNodes();
  }

  function renderNodes() {
    const model = tab.models.find(m => m.id === $('model').value);
    const box = $('exclude');
    box.replaceChildren();
    (model ? model.nodes : []).forEach(n => {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.value = n;
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + n));
      box.appendChild(label);
    });
  }

  async function upload(file) {
    const status = $('upload-status');
    if (file.size > tab.config.maxUploadBytes) {
      status.textContent = file.name + ' has ' + file.size + ' bytes; the limit is ' + tab.config.maxUploadBytes;
      return;
    }
    status.textContent = 'uploading ' + file.name + ' ...';
    try {
      const m = await api('POST', '/api/models?name=' + encodeURIComponent(file.name), file,
          {'Content-Type': 'application/octet-stream'});
      tab.models.push(m);
      renderModels(m.id);
      status.textContent = 'loaded ' + m.name + ' (' + m.nodes.length + ' quantizable nodes)';
    } catch (e) {
      status.textContent = 'upload refused: ' + e.message;
    }
  }

  // ---------- charts ----------
  const sqnrChart = new Chart($('sqnr-chart'), {
    type: 'bar',
    data: {labels: [], datasets: [
      {label: 'SQNR (FP32 vs INT8 model)', data: [], backgroundColor: 'rgba(31,111,235,0.75)'},
      {label: 'local SQNR (this tensor\'s rounding only)', data: [], type: 'line', borderColor: '#e8710a',
        backgroundColor: '#e8710a', borderDash: [4, 3], pointRadius: 2}]},
    options: {scales: {y: {title: {display: true, text: 'dB'}}, x: {ticks: {autoSkip: false, maxRotation: 60, minRotation: 30}}}}
  });
  const historyChart = new Chart($('history-chart'), {
    type: 'bar',
    data: {labels: [], datasets: [
      {label: 'FP32 top-1 %', data: [], backgroundColor: 'rgba(31,111,235,0.75)', maxBarThickness: 48},
      {label: 'INT8 top-1 %', data: [], backgroundColor: 'rgba(232,113,10,0.75)', maxBarThickness: 48}]},
    options: {scales: {y: {title: {display: true, text: 'top-1 %'}}}}
  });

  // ---------- runs ----------
  function settings() {
    return {
      model: $('model').value,
      method: $('method').value,
      activations: $('activations').value,
      perChannel: $('per-channel').checked,
      exclude: Array.from(document.querySelectorAll('#exclude input:checked')).map(i => i.value),
      calibImages: parseInt($('calib-images').value, 10),
      evalImages: parseInt($('eval-images').value, 10),
      backend: $('backend').value
    };
  }

  function describe(s) {
    return [s.method, s.activations, s.perChannel ? 'per-channel' : 'per-tensor', s.calibImages + ' calib',
      s.evalImages + ' eval', s.backend].concat(s.exclude.length ? ['FP32: ' + s.exclude.join(', ')] : []).join(', ');
  }

  function setRunning(running) {
    $('run').disabled = running;
    $('cancel').disabled = !running;
  }

  function setDownloads(d) {
    [['dl-model', d && d.model], ['dl-plan', d && d.plan], ['dl-report', d && d.report]].forEach(([id, href]) => {
      const a = $(id);
      if (href) {
        a.href = href;
        a.classList.remove('disabled');
        if (id !== 'dl-report') a.setAttribute('download', '');
      } else {
        a.removeAttribute('href');
        a.classList.add('disabled');
      }
    });
  }

  function showResult(r) {
    $('fp32-top1').textContent = pct(r.fp32.top1);
    $('fp32-correct').textContent = r.fp32.correct + ' / ' + r.fp32.samples + ' images';
    $('int8-top1').textContent = pct(r.int8.top1);
    $('int8-correct').textContent = r.int8.correct + ' / ' + r.int8.samples + ' images';
    $('change').textContent = signed(-r.int8.drop) + ' pt';
    $('flips').textContent = r.int8.flips + ' flipped predictions';
    setDownloads(r.downloads);
    sqnrChart.data.labels = r.layers.map(l => l.tensor);
    sqnrChart.data.datasets[0].data = r.layers.map(l => l.sqnrDb);
    sqnrChart.data.datasets[1].data = r.layers.map(l => l.localSqnrDb);
    sqnrChart.update();
  }

  function addHistory(run) {
    tab.history.push(run);
    const k = tab.history.length;
    const r = run.result;
    if (r) {
      historyChart.data.labels.push('#' + k);
      historyChart.data.datasets[0].data.push(100 * r.fp32.top1);
      historyChart.data.datasets[1].data.push(100 * r.int8.top1);
      const all = historyChart.data.datasets[0].data.concat(historyChart.data.datasets[1].data);
      historyChart.options.scales.y.min = Math.max(0, Math.floor(Math.min.apply(null, all) - 5));
      historyChart.options.scales.y.max = Math.min(100, Math.ceil(Math.max.apply(null, all) + 1));
      historyChart.update();
    }
    const tr = document.createElement('tr');
    [String(k), describe(run.settings), r ? pct(r.fp32.top1) : '—', r ? pct(r.int8.top1) : '—', r ? String(r.int8.flips) : '—',
      run.state].forEach((text, i) => {
      const td = document.createElement('td');
      if (i === 1) td.className = 'text';
      td.textContent = text;
      tr.appendChild(td);
    });
    document.querySelector('#history tbody').appendChild(tr);
  }

  async function poll() {
    const id = tab.runId;
    let run;
    try {
      run = await api('GET', '/api/runs/' + id);
    } catch (e) {
      showError(e.message);
      tab.timer = setTimeout(poll, 1000);
      return;
    }
    if (id !== tab.runId) return;
    $('progress-bar').style.width = (100 * run.fraction).toFixed(1) + '%';
    $('progress-text').textContent = run.state + ': ' + run.step
        + (run.stepTotal ? ' (' + run.stepDone + '/' + run.stepTotal + ')' : '') + ', ' + (100 * run.fraction).toFixed(0) + ' %';
    document.body.setAttribute('data-state', run.state);
    if (run.state === 'done' || run.state === 'failed' || run.state === 'cancelled') {
      tab.timer = null;
      setRunning(false);
      if (run.result) showResult(run.result);
      if (run.error) showError('run failed: ' + run.error);
      addHistory(run);
      return;
    }
    tab.timer = setTimeout(poll, 250);
  }

  async function start(event) {
    event.preventDefault();
    showError('');
    setDownloads(null);
    const s = settings();
    try {
      const run = await api('POST', '/api/runs', JSON.stringify(s), {'Content-Type': 'application/json'});
      tab.runId = run.id;
      tab.settings = s;
      $('run-id').textContent = run.id;
      document.body.setAttribute('data-state', run.state);
      setRunning(true);
      poll();
    } catch (e) {
      showError(e.message);
    }
  }

  async function cancel() {
    if (!tab.runId) return;
    try {
      await api('POST', '/api/runs/' + tab.runId + '/cancel');
    } catch (e) {
      showError(e.message);
    }
  }

  async function init() {
    try {
      tab.config = await api('GET', '/api/config');
      $('max-upload').textContent = (tab.config.maxUploadBytes / 1048576).toFixed(0) + ' MiB';
      $('calib-images').max = tab.config.calibAvailable;
      $('eval-images').max = tab.config.testAvailable;
      $('eval-images').value = Math.min(1000, tab.config.testAvailable);
      const backends = $('backend');
      tab.config.backends.forEach(b => backends.appendChild(option(b, b)));
      if (tab.config.backends.includes('onnx')) backends.value = 'onnx';
      tab.models = await api('GET', '/api/models');
      renderModels('default');
      document.body.setAttribute('data-ready', 'true');
    } catch (e) {
      showError('cannot reach the playground server: ' + e.message);
    }
  }

  $('settings').addEventListener('submit', start);
  $('cancel').addEventListener('click', cancel);
  $('model').addEventListener('change', renderNodes);
  $('upload').addEventListener('change', e => { if (e.target.files.length) upload(e.target.files[0]); });
  init();
})();

// Draws the quantkit report from the JSON in #report-data. Every text from the data is set with
// textContent (never parsed as HTML); every plot is a Chart.js canvas. Nothing is fetched.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const main = document.getElementById('report');

  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 11;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  const PALETTE = ['#1f6feb', '#e8710a', '#2e7d32', '#8e24aa', '#c62828', '#00838f', '#6d4c41', '#546e7a'];
  const color = (i, alpha) => {
    const c = PALETTE[i % PALETTE.length];
    if (alpha === undefined) return c;
    const n = parseInt(c.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  };

  // ---------- DOM helpers (text only through textContent) ----------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }
  function section(id, title, explanation) {
    const s = el('section', {id: id}, el('h2', {text: title}));
    if (explanation) s.appendChild(el('p', {class: 'explain', text: explanation}));
    main.appendChild(s);
    return s;
  }
  function table(headers, rows, rowClass) {
    const t = el('table');
    const head = el('tr');
    headers.forEach(h => head.appendChild(el('th', {class: h.text ? 'text' : null, text: h.label || h})));
    t.appendChild(el('thead', {}, head));
    const body = el('tbody');
    rows.forEach((r, i) => {
      const tr = el('tr', {class: rowClass ? rowClass(i) : null});
      r.forEach((cell, j) => tr.appendChild(el('td', {class: headers[j].text ? 'text' : null, text: cell === null || cell === undefined ? '—' : String(cell)})));
      body.appendChild(tr);
    });
    t.appendChild(body);
    return t;
  }
  function chartBox(parent, cls) {
    const canvas = el('canvas');
    parent.appendChild(el('div', {class: 'chart' + (cls ? ' ' + cls : '')}, canvas));
    return canvas;
  }

  // ---------- number formats ----------
  const pct = x => (x === null || x === undefined) ? '—' : (100 * x).toFixed(2) + ' %';
  const db = x => (x === null || x === undefined) ? 'exact' : x.toFixed(1);
  const sig = x => (x === null || x === undefined) ? '—' : (x === 0 ? '0' : Number(x).toPrecision(4));
  const signed = x => (x >= 0 ? '+' : '') + x.toFixed(2);
  const range = (lo, hi) => '[' + sig(lo) + ', ' + sig(hi) + ']';
  function summarize(values) {
    if (!values || values.length === 0) return '—';
    if (values.length === 1) return sig(values[0]);
    let lo = Infinity, hi = -Infinity;
    values.forEach(v => { lo = Math.min(lo, v); hi = Math.max(hi, v); });
    return values.length + ': ' + sig(lo) + '..' + sig(hi);
  }
  function minOf(values) {
    let m = null;
    (values || []).forEach(v => { if (v !== null && (m === null || v < m)) m = v; });
    return m;
  }
  const className = i => (data.classNames[i] !== undefined ? data.classNames[i] : String(i));

  // ---------- the quantization grid and clipping range over a histogram ----------
  const qgrid = {
    id: 'qgrid',
    afterDatasetsDraw(chart, args, opts) {
      if (!opts || !opts.scale) return;
      const a = chart.chartArea, x = chart.scales.x, ctx = chart.ctx;
      ctx.save();
      ctx.beginPath();
      ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
      ctx.clip();
      const s = opts.scale, zp = opts.zeroPoint;
      const spacing = Math.abs(x.getPixelForValue(s) - x.getPixelForValue(0));
      const step = Math.max(1, Math.ceil(4 / Math.max(spacing, 1e-9)));
      const qLo = Math.max(opts.qmin, Math.ceil(x.min / s + zp));
      const qHi = Math.min(opts.qmax, Math.floor(x.max / s + zp));
      ctx.strokeStyle = 'rgba(31,111,235,0.25)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let q = qLo; q <= qHi; q++) {
        if ((q - opts.qmin) % step !== 0) continue;
        const px = Math.round(x.getPixelForValue((q - zp) * s)) + 0.5;
        ctx.moveTo(px, a.top);
        ctx.lineTo(px, a.bottom);
      }
      ctx.stroke();
      ctx.strokeStyle = '#c62828';
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 3]);
      [opts.clipLo, opts.clipHi].forEach(v => {
        const px = x.getPixelForValue(v);
        if (px < a.left - 1 || px > a.right + 1) return;
        ctx.beginPath();
        ctx.moveTo(px, a.top);
        ctx.lineTo(px, a.bottom);
        ctx.stroke();
      });
      ctx.restore();
    }
  };
  const QRANGE = {UINT8: [0, 255], INT8: [-128, 127], INT32: [-2147483648, 2147483647]};

  function histogramChart(canvas, h, grid, label) {
    const n = h.counts.length, width = (h.hi - h.lo) / n;
    const points = h.counts.map((c, i) => ({x: h.lo + (i + 0.5) * width, y: c > 0 ? c : null}));
    return new Chart(canvas, {
      type: 'line',
      data: {datasets: [{label: label, data: points, stepped: 'middle', fill: 'start', pointRadius: 0, borderWidth: 1,
        borderColor: color(0), backgroundColor: color(0, 0.35), spanGaps: false}]},
      options: {
        parsing: false,
        scales: {
          x: {type: 'linear', min: h.lo, max: h.hi, ticks: {maxTicksLimit: 8}},
          y: {type: 'logarithmic', title: {display: true, text: 'values'}, ticks: {maxTicksLimit: 6}}
        },
        plugins: {legend: {display: false}, qgrid: grid, tooltip: {enabled: true}}
      },
      plugins: [qgrid]
    });
  }

  // ---------- sections ----------
  function summary() {
    const s = section('summary', 'Summary',
        'The FP32 model against the primary INT8 configuration (' + data.configs[0].name + '): '
        + data.configs[0].description + '. Accuracy on ' + data.testImages + ' images of ' + data.testSet
        + '; calibration on ' + data.calibrationImages + ' images of ' + data.calibrationSet + '.');
    const cards = el('div', {class: 'cards'});
    const primary = data.configs[0].name;
    data.backends.forEach(b => {
      const f = data.accuracy.find(r => r.config === 'fp32' && r.backend === b);
      const q = data.accuracy.find(r => r.config === primary && r.backend === b);
      cards.appendChild(el('div', {class: 'card'},
          el('div', {class: 'label', text: 'FP32 top-1 on ' + b}),
          el('div', {class: 'value', text: pct(f.top1)}),
          el('div', {class: 'note', text: f.correct + ' / ' + f.samples + ' images'})));
      cards.appendChild(el('div', {class: 'card'},
          el('div', {class: 'label', text: 'INT8 top-1 on ' + b}),
          el('div', {class: 'value', text: pct(q.top1)}),
          el('div', {class: 'note', text: signed(-q.drop) + ' pt, ' + q.flips + ' flipped predictions'})));
    });
    const insp = data.configs[0].inspection;
    cards.appendChild(el('div', {class: 'card'},
        el('div', {class: 'label', text: 'weights'}),
        el('div', {class: 'value', text: insp.weightBytes.compression.toFixed(2) + 'x smaller'}),
        el('div', {class: 'note', text: insp.weightBytes.fp32Bytes + ' B FP32 -> ' + (insp.weightBytes.storedBytes
            + insp.weightBytes.quantParamBytes) + ' B'})));
    cards.appendChild(el('div', {class: 'card'},
        el('div', {class: 'label', text: 'QDQ graph'}),
        el('div', {class: 'value', text: insp.quantizeLinear + ' Q + ' + insp.dequantizeLinear + ' DQ'}),
        el('div', {class: 'note', text: 'of ' + insp.nodes + ' nodes'})));
    s.appendChild(cards);
    const warnings = data.configs[0].warnings;
    if (warnings.length) {
      const list = el('ul');
      warnings.forEach(w => list.appendChild(el('li', {class: 'warn', text: w})));
      s.appendChild(el('details', {}, el('summary', {text: warnings.length + ' warning(s)'}), list));
    }
  }

  function accuracy() {
    const s = section('accuracy', 'Accuracy across configurations and backends',
        'Top-1 on the same test images. Each INT8 configuration is compared with the FP32 model on the same backend: '
        + '"flips" counts the images whose top-1 class changed.');
    const configs = ['fp32'].concat(data.configs.map(c => c.name));
    const values = data.accuracy.map(r => 100 * r.top1);
    const lo = Math.max(0, Math.floor(Math.min.apply(null, values) - 2));
    const hi = Math.min(100, Math.ceil(Math.max.apply(null, values) + 0.5));
    new Chart(chartBox(s), {
      type: 'bar',
      data: {
        labels: configs,
        datasets: data.backends.map((b, i) => ({
          label: b, backgroundColor: color(i, 0.8), borderColor: color(i), borderWidth: 1,
          data: configs.map(c => { const r = data.accuracy.find(x => x.config === c && x.backend === b); return r ? 100 * r.top1 : null; })
        }))
      },
      options: {scales: {y: {min: lo, max: hi, title: {display: true, text: 'top-1 %'}}}}
    });
    s.appendChild(table([{label: 'configuration', text: true}, {label: 'backend', text: true}, 'top-1', 'correct', 'top-5', 'change (pt)', 'flips'],
        data.accuracy.map(r => [r.config, r.backend, pct(r.top1), r.correct + ' / ' + r.samples, pct(r.top5),
          r.drop === undefined ? null : signed(-r.drop), r.flips === undefined ? null : r.flips]),
        i => data.accuracy[i].config === data.configs[0].name ? 'primary' : null));
  }

  function tensorOrder(key) {
    const names = [];
    data.configs.forEach(c => c[key].forEach(a => { if (!names.includes(a.tensor)) names.push(a.tensor); }));
    return names;
  }

  function layers() {
    const s = section('layers', 'Per-layer error of the activations',
        'For every quantized tensor, on ' + data.configs[0].debugImages + ' test images (' + data.configs[0].debugBackend
        + '): SQNR = 10 log10(sum x² / sum (x - x\')²) between the FP32 value x and the INT8 model\'s value x\', '
        + 'with all upstream error included (about 6 dB per bit); "local" quantizes the FP32 value alone with this '
        + 'tensor\'s scale (its own rounding and clipping). "clipped": FP32 values outside the representable range.');
    const names = tensorOrder('activations');
    const datasets = [];
    data.configs.forEach((c, i) => {
      datasets.push({type: 'bar', label: c.name + ' SQNR', backgroundColor: color(i, 0.75), borderColor: color(i), borderWidth: 1,
        data: names.map(n => { const a = c.activations.find(x => x.tensor === n); return a ? a.sqnrDb : null; })});
    });
    data.configs.forEach((c, i) => {
      datasets.push({type: 'line', label: c.name + ' local', borderColor: color(i), backgroundColor: color(i), borderDash: [4, 3],
        pointRadius: 2, borderWidth: 1.5, data: names.map(n => { const a = c.activations.find(x => x.tensor === n); return a ? a.localSqnrDb : null; })});
    });
    new Chart(chartBox(s, 'tall'), {type: 'bar', data: {labels: names, datasets: datasets},
      options: {scales: {y: {title: {display: true, text: 'SQNR dB'}}, x: {ticks: {autoSkip: false, maxRotation: 60, minRotation: 30}}}}});
    data.configs.forEach((c, i) => {
      const d = el('details', i === 0 ? {open: ''} : {}, el('summary', {text: c.name + ': ' + c.description}));
      d.appendChild(table([{label: 'tensor', text: true}, {label: 'written by', text: true}, {label: 'type', text: true}, 'scale', 'zero point',
        'representable', 'FP32 range', 'SQNR dB', 'local dB', 'max |err|', 'mean |err|', 'clipped'],
        c.activations.map(a => [a.tensor, a.opType + ' ' + a.producer, a.params.type, summarize(a.params.scales),
          a.params.zeroPoints.length === 1 ? a.params.zeroPoints[0] : summarize(a.params.zeroPoints),
          range(a.representableMin, a.representableMax), range(a.min, a.max), db(a.sqnrDb), db(a.localSqnrDb),
          sig(a.maxAbsError), sig(a.meanAbsError), (100 * a.clippedShare).toFixed(3) + ' %'])));
      s.appendChild(d);
    });
  }

  function weights() {
    const s = section('weights', 'Weight error per layer and per output channel',
        'Stored INT8 weights, dequantized, against the FP32 weights (BatchNorm folded). One scale per tensor has to '
        + 'cover the widest channel, so narrow channels get few levels: their SQNR drops; per-channel scales even them out.');
    const names = tensorOrder('weights');
    new Chart(chartBox(s), {type: 'bar', data: {labels: names, datasets: data.configs.map((c, i) => ({
      label: c.name, backgroundColor: color(i, 0.75), borderColor: color(i), borderWidth: 1,
      data: names.map(n => { const w = c.weights.find(x => x.tensor === n); return w ? w.sqnrDb : null; })}))},
      options: {scales: {y: {title: {display: true, text: 'weight SQNR dB'}}, x: {ticks: {autoSkip: false, maxRotation: 60, minRotation: 30}}}}});
    const grid = el('div', {class: 'grid'});
    names.forEach(n => {
      const item = el('div', {class: 'item'}, el('h3', {text: n + ': SQNR per output channel'}));
      const canvas = chartBox(item, 'small');
      grid.appendChild(item);
      const per = data.configs.map(c => c.weights.find(x => x.tensor === n));
      const channels = Math.max.apply(null, per.map(w => w ? w.channelSqnrDb.length : 0));
      new Chart(canvas, {type: 'bar', data: {labels: Array.from({length: channels}, (_, k) => String(k)),
        datasets: data.configs.map((c, i) => ({label: c.name, backgroundColor: color(i, 0.75), borderWidth: 0,
          data: per[i] ? per[i].channelSqnrDb : []}))},
        options: {scales: {y: {title: {display: true, text: 'dB'}}, x: {title: {display: true, text: 'output channel'},
          ticks: {maxTicksLimit: 16}}}, plugins: {legend: {display: data.configs.length > 1}}}});
    });
    s.appendChild(grid);
    data.configs.forEach((c, i) => {
      const d = el('details', i === 0 ? {open: ''} : {}, el('summary', {text: c.name}));
      d.appendChild(table([{label: 'weight', text: true}, {label: 'node', text: true}, {label: 'op', text: true}, 'shape',
        'quantization', 'scale(s)', 'SQNR dB', 'worst channel dB', 'max |err|', 'clipped'],
        c.weights.map(w => [w.tensor, w.node, w.opType, '[' + w.shape.join(', ') + ']',
          w.params.axis < 0 ? 'per tensor' : 'per channel (axis ' + w.params.axis + ')', summarize(w.params.scales),
          db(w.sqnrDb), db(minOf(w.channelSqnrDb)), sig(w.maxAbsError), (100 * w.clippedShare).toFixed(3) + ' %'])));
      s.appendChild(d);
    });
  }

  function scales() {
    const s = section('scales', 'Scale and zero point per layer',
        'Activation scales (log axis) and zero points; one step of the quantization grid is the scale.');
    const names = tensorOrder('activations');
    new Chart(chartBox(s), {type: 'bar', data: {labels: names, datasets: data.configs.map((c, i) => ({
      label: c.name, backgroundColor: color(i, 0.75), borderColor: color(i), borderWidth: 1,
      data: names.map(n => { const a = c.activations.find(x => x.tensor === n); return a ? a.params.scales[0] : null; })}))},
      options: {scales: {y: {type: 'logarithmic', title: {display: true, text: 'scale'}},
        x: {ticks: {autoSkip: false, maxRotation: 60, minRotation: 30}}}}});
    const headers = [{label: 'tensor', text: true}];
    data.configs.forEach(c => { headers.push(c.name + ' type'); headers.push('scale'); headers.push('zero point'); });
    s.appendChild(table(headers, names.map(n => {
      const row = [n];
      data.configs.forEach(c => {
        const a = c.activations.find(x => x.tensor === n);
        row.push(a ? a.params.type : null, a ? summarize(a.params.scales) : null, a ? a.params.zeroPoints.join(', ') : null);
      });
      return row;
    })));
  }

  function adds() {
    const s = section('adds', 'Residual Add scale ratios',
        'An Add of two quantized inputs with different scales must rescale one of them; the ratio is larger / smaller scale.');
    const nodes = [];
    data.configs.forEach(c => c.adds.forEach(a => { if (!nodes.includes(a.node)) nodes.push(a.node); }));
    if (nodes.length === 0) {
      s.appendChild(el('p', {text: 'No Add reads two quantized inputs.'}));
      return;
    }
    new Chart(chartBox(s, 'small'), {type: 'bar', data: {labels: nodes, datasets: data.configs.map((c, i) => ({
      label: c.name, backgroundColor: color(i, 0.75), borderColor: color(i), borderWidth: 1,
      data: nodes.map(n => { const a = c.adds.find(x => x.node === n); return a ? a.ratio : null; })}))},
      options: {scales: {y: {min: 1, title: {display: true, text: 'scale ratio'}}}}});
    data.configs.forEach((c, i) => {
      const d = el('details', i === 0 ? {open: ''} : {}, el('summary', {text: c.name}));
      d.appendChild(table([{label: 'Add', text: true}, {label: 'input A', text: true}, 'scale A', {label: 'input B', text: true}, 'scale B', 'ratio'],
        c.adds.map(a => [a.node, a.inputA, sig(a.scaleA), a.inputB, sig(a.scaleB), a.ratio.toFixed(2)])));
      s.appendChild(d);
    });
  }

  function histograms() {
    const c = data.configs[0];
    const s = section('histograms', 'Histograms with the quantization grid (' + c.name + ')',
        'FP32 values on a log count axis; blue lines are the levels of the quantization grid (every k-th when they '
        + 'would be closer than 4 px), red dashed lines the clipping range. Weights: the grid of the widest channel.');
    s.appendChild(el('h3', {text: 'Activations (' + c.debugImages + ' test images)'}));
    const grid = el('div', {class: 'grid'});
    c.activations.forEach(a => {
      const item = el('div', {class: 'item'}, el('h3', {text: a.tensor + ' (' + a.opType + ')'}));
      const canvas = chartBox(item, 'small');
      const outside = a.histogram.below + a.histogram.above;
      item.appendChild(el('div', {class: 'note', text: a.params.type + ' scale ' + sig(a.params.scales[0]) + ', zero point '
          + a.params.zeroPoints[0] + '; clipped ' + (100 * a.clippedShare).toFixed(3) + ' %'
          + (outside ? '; ' + outside + ' values beyond the plot' : '')}));
      grid.appendChild(item);
      const q = QRANGE[a.params.type];
      histogramChart(canvas, a.histogram, {scale: a.params.scales[0], zeroPoint: a.params.zeroPoints[0], qmin: q[0], qmax: q[1],
        clipLo: a.representableMin, clipHi: a.representableMax}, a.tensor);
    });
    s.appendChild(grid);
    s.appendChild(el('h3', {text: 'Weights'}));
    const wgrid = el('div', {class: 'grid'});
    c.weights.forEach(w => {
      const item = el('div', {class: 'item'}, el('h3', {text: w.tensor + ' (' + w.opType + ' ' + w.node + ')'}));
      const canvas = chartBox(item, 'small');
      let widest = 0, zp = 0;
      w.params.scales.forEach((sc, k) => { if (sc > widest) { widest = sc; zp = w.params.zeroPoints[k]; } });
      const q = QRANGE[w.params.type];
      item.appendChild(el('div', {class: 'note', text: (w.params.axis < 0 ? 'per tensor, scale ' : 'per channel, widest scale ')
          + sig(widest) + '; SQNR ' + db(w.sqnrDb) + ' dB'}));
      wgrid.appendChild(item);
      histogramChart(canvas, w.histogram, {scale: widest, zeroPoint: zp, qmin: q[0], qmax: q[1],
        clipLo: (q[0] - zp) * widest, clipHi: (q[1] - zp) * widest}, w.tensor);
    });
    s.appendChild(wgrid);
  }

  function matrix(title, m, compare) {
    const wrap = el('div', {}, el('h3', {text: title}));
    const t = el('table', {class: 'matrix'});
    const head = el('tr', {}, el('th', {text: 'true \\ predicted'}));
    data.classNames.forEach(n => head.appendChild(el('th', {class: 'rot', text: n})));
    t.appendChild(head);
    m.forEach((row, i) => {
      const total = row.reduce((x, y) => x + y, 0) || 1;
      const tr = el('tr', {}, el('th', {class: 'text', text: className(i)}));
      row.forEach((v, j) => {
        const td = el('td', {text: String(v)});
        if (compare) {
          const d = v - compare[i][j];
          td.textContent = d === 0 ? '' : (d > 0 ? '+' : '') + d;
          const bad = (i === j) ? d < 0 : d > 0;
          if (d !== 0) td.style.background = bad ? 'rgba(198,40,40,' + Math.min(0.85, 0.2 + Math.abs(d) / 8) + ')'
              : 'rgba(46,125,50,' + Math.min(0.85, 0.2 + Math.abs(d) / 8) + ')';
        } else {
          const alpha = v / total;
          td.style.background = 'rgba(31,111,235,' + alpha.toFixed(3) + ')';
          if (alpha > 0.55) td.style.color = '#fff';
        }
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    wrap.appendChild(t);
    return wrap;
  }

  function confusion() {
    const c = data.confusion;
    const s = section('confusion', 'Confusion matrices: FP32 vs INT8 (' + c.config + ', ' + c.backend + ')',
        'Rows: true class; columns: predicted class. The third matrix is INT8 minus FP32: red where INT8 is worse.');
    new Chart(chartBox(s, 'small'), {type: 'bar', data: {labels: data.classNames, datasets: [
      {label: 'FP32', backgroundColor: color(0, 0.75), data: c.fp32PerClass.map(v => v === null ? null : 100 * v)},
      {label: 'INT8', backgroundColor: color(1, 0.75), data: c.int8PerClass.map(v => v === null ? null : 100 * v)}]},
      options: {scales: {y: {min: 0, max: 100, title: {display: true, text: 'per-class top-1 %'}}}}});
    const row = el('div', {class: 'matrices'});
    row.appendChild(matrix('FP32', c.fp32));
    row.appendChild(matrix('INT8', c.int8));
    row.appendChild(matrix('INT8 - FP32', c.int8, c.fp32));
    s.appendChild(row);
  }

  function flips() {
    const f = data.flips;
    const s = section('flips', 'Flipped images (' + f.config + ', ' + f.backend + ')',
        f.total + ' test images whose top-1 class differs between FP32 and INT8' + (f.items.length < f.total
            ? ' (the first ' + f.items.length + ' shown)' : '') + '. Green: the prediction is the true class.');
    const grid = el('div', {class: 'flips'});
    f.items.forEach(x => {
      const card = el('div', {class: 'flip'});
      if (x.image) card.appendChild(el('img', {src: x.image, alt: 'test image ' + x.index}));
      card.appendChild(el('div', {text: '#' + x.index + (x.label !== undefined ? ', true: ' + className(x.label) : '')}));
      const score = v => (v === undefined ? '' : ' (' + v.toFixed(2) + ')');
      card.appendChild(el('div', {class: x.fp32 === x.label ? 'ok' : 'bad', text: 'FP32: ' + className(x.fp32) + score(x.fp32Score)}));
      card.appendChild(el('div', {class: x.int8 === x.label ? 'ok' : 'bad', text: 'INT8: ' + className(x.int8) + score(x.int8Score)}));
      grid.appendChild(card);
    });
    s.appendChild(grid);
  }

  const parts = [summary, accuracy, layers, weights, scales, adds, histograms, confusion, flips];
  let failed = 0;
  parts.forEach(part => {
    try {
      part();
    } catch (e) {
      failed++;
      main.appendChild(el('p', {class: 'error', text: 'could not draw ' + part.name + ': ' + e}));
      console.error(e);
    }
  });
  document.getElementById('footer').textContent = 'Generated by quantkit on ' + data.generated + ' in '
      + data.elapsedSeconds.toFixed(1) + ' s. Self-contained: data, Chart.js and this script are inside the file; nothing is loaded from the network.';
  document.body.setAttribute('data-report-ready', failed === 0 ? 'ok' : 'failed');
})();

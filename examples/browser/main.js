// The demo page: runs parallel.wasm with weft/browser (served as plain ESM from dist/).
import { run } from '../../dist/browser.js';

const out = document.getElementById('out');
const status = document.getElementById('status');
const button = document.getElementById('runBtn');
const stop = document.getElementById('stopBtn');
/** Aborts the run in progress (Stop): every thread's Worker is terminated and run() rejects. */
let running;
stop.addEventListener('click', () => running?.abort());

function append(text, cls) {
  const span = document.createElement('span');
  if (cls) span.className = cls;
  span.textContent = text + '\n';
  out.append(span);
  out.scrollTop = out.scrollHeight;
}

async function go() {
  const threads = Math.max(1, Math.min(64, Number(document.getElementById('threads').value) || 4));
  const steps = Math.max(1, Number(document.getElementById('steps').value) || 400);
  out.textContent = '';
  button.disabled = true;
  stop.disabled = false;
  running = new AbortController();
  status.textContent = 'running…';
  window.demoDone = undefined;
  const t0 = performance.now();
  try {
    const { exitCode } = await run(fetch(new URL('./parallel.wasm', import.meta.url)), {
      args: ['parallel.wasm', String(threads), String(steps)],
      spareWorkers: threads, // boot a worker per thread up front: all threads start together
      stdoutLine: (line) => {
        const m = /^thread (\d+):/.exec(line);
        append(line, m ? `t${Number(m[1]) % 8}` : /^(pi|error|done)/.test(line) ? 'result' : undefined);
      },
      stderrLine: (line) => append(line, 'err'),
      signal: running.signal,
    });
    status.textContent = `exit code ${exitCode} after ${Math.round(performance.now() - t0)} ms ` +
      `(${navigator.hardwareConcurrency} logical CPUs)`;
    window.demoDone = { exitCode, text: out.textContent };
  } catch (e) {
    if (e.name === 'AbortError') {
      status.textContent = `stopped after ${Math.round(performance.now() - t0)} ms`;
      window.demoDone = { aborted: true, text: out.textContent };
      return;
    }
    append(String(e.message ?? e), 'err');
    status.textContent = 'failed';
    window.demoDone = { error: String(e.message ?? e), text: out.textContent };
  } finally {
    button.disabled = false;
    stop.disabled = true;
  }
}

// ?threads=N&steps=M preset the form (the tests use a short run).
const params = new URLSearchParams(location.search);
for (const k of ['threads', 'steps']) if (params.has(k)) document.getElementById(k).value = params.get(k);

document.getElementById('form').addEventListener('submit', (e) => {
  e.preventDefault();
  void go();
});
void go();

// The official JavaScript client (@kubernetes/client-node 1.4.0) against the emulator:
// create, list with a label selector and with limit/continue, watch, an informer that
// relists after a 410, pod logs, exec over WebSocket, delete, both kubeconfig users.
// Prints one PASS/FAIL line per test for run.sh; exits non-zero when one failed.
import * as k8s from '@kubernetes/client-node';
import { Writable } from 'node:stream';

const image = process.env.CUTTLE_TEST_K8S_IMAGE;
const suffix = `${process.pid % 100000}`;
// A namespace of our own: fault switches are scoped to it (see harness.py).
const ns = `cuttle-node-${suffix}`;
const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const batch = kc.makeApiClient(k8s.BatchV1Api);
const core = kc.makeApiClient(k8s.CoreV1Api);
const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function assert(ok, message) {
  if (!ok) throw new Error(message);
}

async function eventually(what, probe, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await sleep(300);
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

function jobBody(name, command, labels = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { suite: 'k8semu-node', ...labels } },
    spec: {
      backoffLimit: 0,
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, command }] },
      },
    },
  };
}

const finished = (job) =>
  (job?.status?.conditions || []).find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

async function admin(method, path, body) {
  const opts = { method, headers: { 'Content-Type': 'application/json' } };
  await kc.applyToFetchOptions(opts);
  const { default: fetch } = await import('node-fetch');
  const res = await fetch(`${kc.getCurrentCluster().server}/emulator/${path}`,
    { ...opts, body: body && JSON.stringify(body) });
  assert(res.status === 200, `${method} /emulator/${path}: HTTP ${res.status}`);
  return res.json();
}
const fault = (switches) => admin('POST', 'faults', { ...switches, namespace: ns });
const jobLists = async () => (await admin('GET', 'stats')).requests['GET jobs'] || 0;

async function podsOf(job) {
  const list = await core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${job}` });
  return list.items;
}

test('create_list_watch_delete', async () => {
  const name = `node-crud-${suffix}`;
  const selector = `run=${name}`;
  const seen = [];
  const watch = new k8s.Watch(kc);
  const controller = await watch.watch(
    `/apis/batch/v1/namespaces/${ns}/jobs`,
    { labelSelector: selector, allowWatchBookmarks: true },
    (type, obj) => seen.push({ type, name: obj.metadata?.name, done: finished(obj)?.type }),
    () => {});
  try {
    const created = await batch.createNamespacedJob({
      namespace: ns, body: jobBody(name, ['/bin/sh', '-c', 'echo "$0 $1"', "a'b", '$(c)'],
        { run: name }) });
    assert(created.metadata.uid, 'create returned no uid');
    await eventually('the watch to see Complete', () =>
      seen.find((e) => e.type === 'MODIFIED' && e.done === 'Complete'));
    const list = await batch.listNamespacedJob({ namespace: ns, labelSelector: selector });
    assert(list.items.length === 1 && list.items[0].metadata.name === name,
      `list by label returned ${list.items.map((j) => j.metadata.name)}`);
    const other = await batch.listNamespacedJob({ namespace: ns, labelSelector: `run=nope-${suffix}` });
    assert(other.items.length === 0, 'a selector that matches nothing listed jobs');
    const pod = (await podsOf(name))[0];
    const log = await core.readNamespacedPodLog({ name: pod.metadata.name, namespace: ns,
      container: 'main' });
    assert(log === "a'b $(c)\n", `log was ${JSON.stringify(log)}`);
    const cut = await core.readNamespacedPodLog({ name: pod.metadata.name, namespace: ns,
      limitBytes: 3 });
    assert(cut === "a'b", `limitBytes=3 log was ${JSON.stringify(cut)}`);
    await batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: 'Background' });
    await eventually('the watch to see DELETED', () => seen.find((e) => e.type === 'DELETED'));
    await eventually('the pods to be collected', async () => (await podsOf(name)).length === 0);
  } finally {
    controller.abort();
  }
});

test('failed_job_shows_exit_code_and_reason', async () => {
  const name = `node-fail-${suffix}`;
  await batch.createNamespacedJob({ namespace: ns, body: jobBody(name, ['/bin/sh', '-c', 'exit 3']) });
  const job = await eventually('the job to finish', async () => {
    const j = await batch.readNamespacedJob({ name, namespace: ns });
    return finished(j) ? j : null;
  });
  assert(finished(job).type === 'Failed' && finished(job).reason === 'BackoffLimitExceeded',
    JSON.stringify(finished(job)));
  const term = (await podsOf(name))[0].status.containerStatuses[0].state.terminated;
  assert(term.exitCode === 3 && term.reason === 'Error', JSON.stringify(term));
  await batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: 'Background' });
});

test('informer_relists_after_410_in_the_stream', async () => {
  const selector = `informer=node-${suffix}`;
  const informer = k8s.makeInformer(kc, `/apis/batch/v1/namespaces/${ns}/jobs`,
    () => batch.listNamespacedJob({ namespace: ns, labelSelector: selector }), selector);
  const added = new Set();
  const errors = [];
  informer.on('add', (job) => added.add(job.metadata.name));
  informer.on('error', (err) => errors.push(String(err)));
  await informer.start();
  const first = `node-inf1-${suffix}`;
  const second = `node-inf2-${suffix}`;
  try {
    await batch.createNamespacedJob({ namespace: ns,
      body: jobBody(first, ['/bin/true'], { informer: `node-${suffix}` }) });
    await eventually('the informer to add the first job', () => added.has(first));
    const listsBefore = await jobLists();
    await fault({ watchGoneNow: true, compact: true });
    await eventually('the informer to relist', async () => (await jobLists()) > listsBefore);
    await batch.createNamespacedJob({ namespace: ns,
      body: jobBody(second, ['/bin/true'], { informer: `node-${suffix}` }) });
    await eventually('the informer to relist and add the second job', () => added.has(second));
    assert(errors.length === 0, `informer errors: ${errors}`);
    assert(informer.list(ns).length === 2, `cache holds ${informer.list(ns).length} jobs`);
  } finally {
    await informer.stop();
    for (const name of [first, second]) {
      await batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: 'Background' });
    }
  }
});

test('list_pages_with_limit_and_continue', async () => {
  const names = [0, 1, 2].map((i) => `node-page${i}-${suffix}`);
  for (const name of names) {
    await batch.createNamespacedJob({ namespace: ns,
      body: jobBody(name, ['/bin/true'], { page: `node-${suffix}` }) });
  }
  const got = [];
  let token;
  let pages = 0;
  do {
    const page = await batch.listNamespacedJob({ namespace: ns, labelSelector: `page=node-${suffix}`,
      limit: 1, _continue: token });
    got.push(...page.items.map((j) => j.metadata.name));
    token = page.metadata._continue;
    pages += 1;
  } while (token && pages < 10);
  assert(pages === 3 && got.join() === names.join(), `pages=${pages} got=${got}`);
  for (const name of names) {
    await batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: 'Background' });
  }
});

test('exec_over_websocket_returns_output_and_exit_status', async () => {
  const name = `node-exec-${suffix}`;
  await batch.createNamespacedJob({ namespace: ns,
    body: jobBody(name, ['/bin/sh', '-c', 'while [ ! -e /work/done ]; do sleep 0.2; done']) });
  const pod = await eventually('a running pod', async () =>
    (await podsOf(name)).find((p) => p.status?.phase === 'Running'));
  const run = (command) => new Promise((resolve, reject) => {
    let out = '';
    const sink = new Writable({ write(chunk, _enc, cb) { out += chunk; cb(); } });
    new k8s.Exec(kc).exec(ns, pod.metadata.name, 'main', command, sink, sink, null, false,
      (status) => resolve({ out, status })).catch(reject);
  });
  const ok = await run(['sh', '-c', 'echo hi; echo there >&2']);
  assert(ok.status.status === 'Success', JSON.stringify(ok.status));
  assert(ok.out.includes('hi\n') && ok.out.includes('there\n'), JSON.stringify(ok.out));
  const bad = await run(['sh', '-c', 'exit 6']);
  assert(bad.status.status === 'Failure' && bad.status.details.causes[0].message === '6',
    JSON.stringify(bad.status));
  await run(['touch', '/work/done']);
  await batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: 'Background' });
});

test('certificate_user_and_api_errors', async () => {
  const certKc = new k8s.KubeConfig();
  certKc.loadFromDefault();
  certKc.setCurrentContext('cuttle-emulator-cert');
  await certKc.makeApiClient(k8s.BatchV1Api).listNamespacedJob({ namespace: ns });
  const name = `node-dup-${suffix}`;
  await batch.createNamespacedJob({ namespace: ns, body: jobBody(name, ['/bin/true']) });
  try {
    await batch.createNamespacedJob({ namespace: ns, body: jobBody(name, ['/bin/true']) });
    throw new Error('a second create with the same name succeeded');
  } catch (err) {
    assert(err.code === 409, `second create: ${err}`);
  }
  try {
    await batch.readNamespacedJob({ name: `nope-${suffix}`, namespace: ns });
    throw new Error('reading a missing job succeeded');
  } catch (err) {
    assert(err.code === 404, `missing job: ${err}`);
  }
  await fault({ status429: 1, retryAfterSeconds: 2 });
  try {
    await batch.listNamespacedJob({ namespace: ns });
    throw new Error('the 429 did not reach the client');
  } catch (err) {
    assert(err.code === 429 && String(err.headers?.['retry-after']) === '2', `429: ${err}`);
  }
  await batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: 'Background' });
});

let failed = 0;
await core.createNamespace({ body: { metadata: { name: ns } } });
for (const { name, fn } of tests) {
  if (process.argv.length > 2 && !process.argv.slice(2).includes(name)) continue;
  const start = Date.now();
  try {
    await fn();
    console.log(`PASS node.${name} (${((Date.now() - start) / 1000).toFixed(1)}s)`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL node.${name}: ${err?.message || err}`);
    console.error(err);
  } finally {
    await admin('DELETE', `faults?namespace=${ns}`);
  }
}
await core.deleteNamespace({ name: ns });
process.exit(failed ? 1 : 0);

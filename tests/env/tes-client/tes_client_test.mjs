// A TES client the project did not write: openapi-client-axios builds its operations
// (GetServiceInfo, CreateTask, GetTask, ListTasks, CancelTask) at run time from the
// OpenAPI document the service serves, and this script drives a real `cuttle serve` with
// them. Prints PASS/FAIL lines and closes with "tes-client: N passed, M failed".
// Usage: node tes_client_test.mjs BASE_URL DATA_DIR IMAGE [BEARER_TOKEN]
import { readFileSync } from 'node:fs';
import { OpenAPIClientAxios } from 'openapi-client-axios';

const [baseURL, dataDir, image, token] = process.argv.slice(2);
let passed = 0;
let failed = 0;

function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`PASS ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}: ${detail === undefined ? '' : JSON.stringify(detail)}`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const FINAL = ['COMPLETE', 'EXECUTOR_ERROR', 'SYSTEM_ERROR', 'CANCELED'];

async function until(client, id, states) {
  for (let i = 0; i < 900; i++) {
    const { data } = await client.GetTask({ id, view: 'MINIMAL' });
    if (states.includes(data.state)) return data.state;
    await sleep(100);
  }
  return 'timeout';
}

const api = new OpenAPIClientAxios({
  definition: `${baseURL}/openapi.json`,
  withServer: { url: baseURL },
  axiosConfigDefaults: {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    validateStatus: () => true,
  },
});

try {
  const client = await api.init();

  const info = await client.GetServiceInfo();
  check('GetServiceInfo names the tes artifact', info.status === 200 && info.data.type?.artifact === 'tes', info.data);

  const task = {
    name: 'client-echo',
    tags: { client: 'openapi-client-axios' },
    inputs: [{ path: '/work/in.txt', content: 'from the client\n' }],
    outputs: [{ path: '/work/out.txt', url: `file://${dataDir}/client/out.txt`, type: 'FILE' }],
    executors: [{ image, command: ['/bin/sh', '-c', 'cat /work/in.txt > /work/out.txt; echo hi'] }],
  };
  const created = await client.CreateTask(null, task);
  check('CreateTask answers an id', created.status === 200 && typeof created.data.id === 'string', created.data);
  const id = created.data.id;

  const state = await until(client, id, FINAL);
  check('the task completes', state === 'COMPLETE', state);
  const full = await client.GetTask({ id, view: 'FULL' });
  const executorLog = full.data.logs?.[0]?.logs?.[0];
  check('FULL has the exit code and stdout', executorLog?.exit_code === 0 && executorLog?.stdout === 'hi\n', full.data.logs);
  check('the output reached its URL', readFileSync(`${dataDir}/client/out.txt`, 'utf8') === 'from the client\n');
  check('FULL echoes the input content', full.data.inputs?.[0]?.content === 'from the client\n', full.data.inputs);

  const basic = await client.GetTask({ id, view: 'BASIC' });
  check('BASIC leaves out stdout and content', basic.data.logs?.[0]?.logs?.[0]?.stdout === undefined && basic.data.inputs?.[0]?.content === undefined, basic.data);

  const listed = await client.ListTasks({ name_prefix: 'client-', tag_key: ['client'], tag_value: ['openapi-client-axios'], view: 'BASIC' });
  check('ListTasks filters by name prefix and tag', listed.status === 200 && listed.data.tasks.length === 1 && listed.data.tasks[0].id === id, listed.data);

  const sleeper = await client.CreateTask(null, { name: 'client-sleep', executors: [{ image, command: ['sleep', '120'] }] });
  await until(client, sleeper.data.id, ['RUNNING']);
  const cancelled = await client.CancelTask({ id: sleeper.data.id });
  check('CancelTask answers 200', cancelled.status === 200, cancelled.data);
  check('the cancelled task reads CANCELED', (await until(client, sleeper.data.id, FINAL)) === 'CANCELED');

  const paged = await client.ListTasks({ page_size: 1 });
  const next = await client.ListTasks({ page_size: 1, page_token: paged.data.next_page_token });
  check('ListTasks pages with next_page_token', paged.data.tasks.length === 1 && next.data.tasks.length === 1 && paged.data.tasks[0].id !== next.data.tasks[0].id, [paged.data, next.data]);

  const refused = await client.CreateTask(null, { executors: [{ image, command: ['true'], stdout: '/etc/out' }] });
  check('a bad field is a 400 naming it', refused.status === 400 && refused.data.field === 'executors[0].stdout', refused.data);

  const missing = await client.GetTask({ id: '00000000-0000-0000-0000-000000000000' });
  check('an unknown task is a 404', missing.status === 404, missing.status);
} catch (e) {
  check('the client ran', false, String(e && e.stack ? e.stack : e));
}
console.log(`tes-client: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

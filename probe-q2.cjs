const { createPool } = require('mysql2/promise');
const { readFileSync } = require('node:fs');
const { execSync } = require('node:child_process');
const pid = Number(execSync('pgrep -x mariadbd').toString().trim());
const ticks = (p) => { const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
(async () => {
const pool = createPool({ uri: 'mysql://root@127.0.0.1:3306/probe_q', connectionLimit: 20, timezone: 'Z' });
const [[{ ws }]] = await pool.query('SELECT workspace_id AS ws FROM projects LIMIT 1');
const [ids] = await pool.query('SELECT id FROM projects WHERE workspace_id = ? LIMIT 9', [ws]);
const pids = ids.map((r) => r.id);
const cols = '`id`, `workspace_id`, `name`, `identifier`, `description`, `created_at`, `updated_at`';
const inl = pids.map(() => '?').join(', ');
const V = {
  floor: ['SELECT id, workspace_id, name, identifier, description, created_at, updated_at FROM projects WHERE workspace_id = ? ORDER BY created_at, id LIMIT 20', [ws]],
  tess: [`SELECT ${cols}, (SELECT COUNT(*) FROM \`projects\` WHERE \`id\` IN (${inl}) AND \`workspace_id\` = ?) AS \`__total_count\` FROM \`projects\` WHERE \`id\` IN (${inl}) AND \`workspace_id\` = ? ORDER BY \`created_at\` ASC, \`id\` ASC LIMIT ? OFFSET ?`, [...pids, ws, ...pids, ws, 20, 0]],
  tessplain: [`SELECT ${cols}, (SELECT COUNT(*) FROM \`projects\` WHERE \`workspace_id\` = ?) AS \`__total_count\` FROM \`projects\` WHERE \`workspace_id\` = ? ORDER BY \`created_at\` ASC, \`id\` ASC LIMIT ? OFFSET ?`, [ws, ws, 20, 0]],
};
const N = 20000;
for (const rep of [1, 2]) for (const [name, [sql, params]] of Object.entries(V)) for (const mode of ['execute']) {
  await pool[mode](sql, params);
  const t0 = ticks(pid); let i = 0;
  await Promise.all(Array.from({ length: 20 }, async () => { while (i++ < N) await pool[mode](sql, params); }));
  console.log(`${name.padEnd(10)} ${mode.padEnd(8)} mariadb ${((ticks(pid) - t0) * 10000 / N).toFixed(0).padStart(4)} µs/q`);
}
if (process.env.EXPLAIN) for (const [name, [sql, params]] of Object.entries(V)) { const [r] = await pool.query('EXPLAIN ' + sql, params.map((p) => p)); console.log(name, JSON.stringify(r)); }
await pool.end();
})();

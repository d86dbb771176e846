// The floor: the least a server can do for an authenticated list request. Raw node:http, the
// SHA-256 of the bearer token, one mysql2 lookup by unique index, one 20-row query. No
// framework, no checks beyond "token exists". Tessera is measured against this in the same run.
// FLOOR_REMEMBER_TOKENS=1 keeps each token's workspace in a Map after its first lookup: the least
// a server can do with one statement per request, as Tessera does (bench:cpu's floor-1 line).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createPool } from 'mysql2/promise';

const url = process.env.FLOOR_DATABASE_URL ?? '';
const port = Number(process.env.FLOOR_PORT ?? 3901);
const pool = createPool({ uri: url, connectionLimit: 20, timezone: 'Z' });
const remembered = process.env.FLOOR_REMEMBER_TOKENS === '1' ? new Map<string, string>() : null;

async function workspaceOf(hash: string): Promise<string | undefined> {
  const known = remembered?.get(hash);
  if (known !== undefined) {
    return known;
  }
  const [rows] = await pool.query<Array<{ workspace_id: string } & import('mysql2').RowDataPacket>>(
    'SELECT workspace_id FROM api_tokens WHERE token_hash = ?',
    [hash],
  );
  if (rows.length > 0) {
    remembered?.set(hash, rows[0].workspace_id);
  }
  return rows[0]?.workspace_id;
}

const server = createServer((req, res) => {
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
  const hash = createHash('sha256').update(token).digest('hex');
  workspaceOf(hash)
    .then(async (workspaceId) => {
      if (workspaceId === undefined) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"unauthorized"}');
        return;
      }
      const [projects] = await pool.query(
        'SELECT id, workspace_id, name, identifier, description, created_at, updated_at FROM projects WHERE workspace_id = ? ORDER BY created_at, id LIMIT 20',
        [workspaceId],
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: projects }));
    })
    .catch((error: Error) => {
      res.writeHead(500);
      res.end(error.message);
    });
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`floor listening on ${port}\n`));
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});

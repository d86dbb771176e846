import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { SecretKeyError } from './common/crypto/at-rest-key';
import { DataDirError, prepareDataDir } from './database/data-dir';

// Within Kubernetes' 30 s termination grace period (`docker stop` waits 10 s, then SIGKILL).
const SHUTDOWN_TIMEOUT_MS = 25_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  if (config.database.type === 'sqlite') {
    try {
      prepareDataDir(config.dataDir);
    } catch (error) {
      if (error instanceof DataDirError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(73); // EX_CANTCREAT
      }
      throw error;
    }
  }
  // Loaded only once the configuration is known to be good: a bad variable fails fast.
  const { createApp } = await import('./create-app.js');
  const app = await createApp(config);
  // On SIGTERM/SIGINT Nest stops accepting connections, lets in-flight requests finish, runs the
  // shutdown hooks (token and legacy usage flush before the global DataSource closes), then
  // exits 0: a drained stop is a clean stop, not a death by signal.
  app.enableShutdownHooks([], { useProcessExit: true });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // A request that never ends (a stalled upload) must not keep the process alive forever.
      setTimeout(() => {
        process.stderr.write(
          `Tessera did not shut down within ${SHUTDOWN_TIMEOUT_MS} ms of ${signal}; exiting.\n`,
        );
        process.exit(1);
      }, SHUTDOWN_TIMEOUT_MS).unref();
    });
  }
  await app.listen(config.port, config.host);
  process.stdout.write(
    `Tessera listening on ${config.publicUrl} (docs: ${config.publicUrl}/api/docs)\n`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof SecretKeyError) {
    process.stderr.write(`Tessera failed to start: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`Tessera failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});

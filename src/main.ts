import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';

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
  // Loaded only once the configuration is known to be good: a bad variable fails fast.
  const { createApp } = await import('./create-app.js');
  const app = await createApp(config);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  process.stdout.write(
    `Tessera listening on ${config.publicUrl} (docs: ${config.publicUrl}/api/docs)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Tessera failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});

import { FastifyInstance } from 'fastify';
import { Metrics } from './metrics.service';

/**
 * Counts and times every response in one callback onResponse hook (no promise per request).
 * Registered only when metrics are enabled: with them off, requests do no metrics work at all.
 */
export function registerMetricsHook(fastify: FastifyInstance, metrics: Metrics): void {
  if (!metrics.enabled) {
    return;
  }
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeResponse(request, reply);
    done();
  });
}

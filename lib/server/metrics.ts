// The server's Prometheus metrics (prom-client): requests by route and status, their latency, each model's
// queue depth, batch sizes and images (images/s is rate(torch_unet_images_total[1m])).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { ServedModel } from './models.js';

export class ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'route'>;
  readonly batchSize: Histogram<'model'>;
  readonly images: Counter<'model'>;

  constructor(models: Iterable<ServedModel>, registry?: Registry) {
    this.registry = registry ?? new Registry();
    // A registry of the plugin's own gets the process metrics too (CPU, memory, event-loop delay); one the user
    // passes already has what they chose.
    if (!registry) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.requests = new Counter({ name: 'torch_unet_requests_total', help: 'Requests answered, by route and status.', labelNames: ['method', 'route', 'status'], registers });
    this.latency = new Histogram({
      name: 'torch_unet_request_duration_seconds',
      help: 'Time from a request to its answer.',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: 'torch_unet_queue_depth',
      help: 'Requests waiting for a batch, by model.',
      labelNames: ['model'],
      registers,
      collect() {
        for (const served of models) this.set({ model: served.name }, served.batcher.queued);
      },
    });
    this.batchSize = new Histogram({ name: 'torch_unet_batch_size', help: 'Images in each batch run, by model.', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers });
    this.images = new Counter({ name: 'torch_unet_images_total', help: 'Images predicted, by model.', labelNames: ['model'], registers });
  }

  observeBatch(model: string, images: number): void {
    this.batchSize.observe({ model }, images);
    this.images.inc({ model }, images);
  }
}

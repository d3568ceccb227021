/** `jvae dashboard`: where the coordinator's web pages are. */
import type { Command } from '../command.js';
import { httpUrl } from '../format.js';

export const dashboardCommand: Command = {
  path: ['dashboard'],
  summary: 'Print the URLs of the dashboard and of the queue view (bull-board)',
  details: 'The coordinator serves both on JVAE_HTTP (host:port, default 127.0.0.1:8080).',
  async run() {
    const { loadConfig } = await import('@jvae/protocol');
    const { http } = loadConfig();
    console.log(`dashboard: ${httpUrl(http)}`);
    console.log(`queues:    ${httpUrl(http, '/queues')}`);
    return 0;
  },
};

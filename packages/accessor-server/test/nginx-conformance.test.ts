import { describeAccessorConformance } from '@stowage/conformance';
import { afterAll } from 'vitest';
import { start } from '../../../tools/backends/index.mjs';
import { ServerAccessor } from '../src/index.js';
import { API_KEY, startTestServer, USER } from './helpers.js';

// The same suite through Debian's nginx in front of the file server in accel
// mode: downloads are served by nginx from the storage folder after the file
// server answered X-Accel-Redirect. nginx failing to start fails this file.
const server = await startTestServer({ accelRedirect: '/protected/' });
const nginx = await start('nginx', { upstreamPort: server.port, protectedRoot: server.root });
afterAll(async () => {
  await nginx.stop();
  await server.dispose();
});

describeAccessorConformance('ServerAccessor (file-server behind nginx, X-Accel-Redirect)', {
  create: () => new ServerAccessor({ url: nginx.env.STOWAGE_NGINX_URL!, user: USER, apiKey: API_KEY }),
});

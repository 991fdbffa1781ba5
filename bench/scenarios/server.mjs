// The file server (@stowage/file-server, disk-backed) against curl on signed
// URLs: 1 large file, 1 MiB frames, 4 KiB files; see bench/net/scenario.mjs.
import { runNetworkScenario } from '../net/scenario.mjs';

export const run = () => runNetworkScenario('server', { reference: 'curl' });

// sftp against OpenSSH's own sftp client (sftp -b): 1 large file, 1 MiB frames, 4 KiB files; see bench/net/scenario.mjs.
import { runNetworkScenario } from '../net/scenario.mjs';

export const run = () => runNetworkScenario('sftp', { reference: 'openssh', name: 'openssh' });

import { describeAccessorConformance } from '@stowage/conformance';
import { FtpAccessor } from '../src/index.js';
import { connectionOptions, serverEnv, TARGETS } from './servers.js';

// The whole suite against each real server, plain and FTPS. The accessor root
// is the FTP user's directory, which the launcher's data dir backs locally.
for (const { server, secure, label } of TARGETS) {
  describeAccessorConformance(`ftp (${label})`, {
    create: () => new FtpAccessor(connectionOptions(server, secure)),
    filesystemRoot: serverEnv(server).root,
  });
}

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FtpAccessor, type FtpAccessorOptions } from '../src/index.js';

export const SERVERS = ['proftpd', 'vsftpd'] as const;
export type Server = (typeof SERVERS)[number];

/** Every server in both modes: plain FTP and explicit FTPS. */
export const TARGETS = SERVERS.flatMap((server) => [
  { server, secure: false, label: `${server} plain` },
  { server, secure: true, label: `${server} FTPS` },
]);

export function serverEnv(server: Server) {
  const read = (suffix: string) => {
    const value = process.env[`STOWAGE_${server.toUpperCase()}_${suffix}`];
    if (!value)
      throw new Error(
        `STOWAGE_${server.toUpperCase()}_${suffix} is not set: did the global setup start ${server}?`,
      );
    return value;
  };
  return {
    host: read('HOST'),
    port: Number(read('PORT')),
    user: read('USER'),
    password: read('PASSWORD'),
    root: read('ROOT'),
    caFile: read('CA_FILE'),
  };
}

/** Connection options for a server; FTPS verifies the launcher's self-signed certificate. */
export function connectionOptions(server: Server, secure: boolean): FtpAccessorOptions {
  const env = serverEnv(server);
  return {
    host: env.host,
    port: env.port,
    user: env.user,
    password: env.password,
    secure,
    ...(secure ? { secureOptions: { ca: readFileSync(env.caFile) } } : {}),
  };
}

/** An accessor rooted in a fresh directory on the server (also exercises `prefix`). */
export async function isolatedAccessor(
  server: Server,
  secure: boolean,
  options: Partial<FtpAccessorOptions> = {},
): Promise<{ accessor: FtpAccessor; directory: string }> {
  const directory = `t-${randomUUID()}`;
  const setup = new FtpAccessor(connectionOptions(server, secure));
  await setup.makeContainer(directory);
  await setup.close();
  return {
    accessor: new FtpAccessor({ ...connectionOptions(server, secure), prefix: directory, ...options }),
    directory,
  };
}

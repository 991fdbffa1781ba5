// The network backends the scenarios compare against reference tools: how to
// start the loopback server, build the Stowage accessor (in the child process)
// and configure an rclone remote through RCLONE_CONFIG_<NAME>_* variables (no
// config file, nothing secret on a command line). The file server has no
// rclone backend: its reference is curl (bench/net/references.mjs).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startFileServer } from './file-server.mjs';

const dist = (name) => new URL(`../../packages/${name}/dist/index.js`, import.meta.url).href;

/** Obscure a password the way rclone's config wants it; read from stdin so it stays off argv. */
function obscure(password) {
  return execFileSync('rclone', ['obscure', '-'], { input: password, encoding: 'utf8' }).trim();
}

/** Remove a folder inside the server's data root (faster than a remote purge, and untimed). */
const removeUnder = (root) => (path) => rmSync(join(root, path), { recursive: true, force: true });

export const BACKENDS = {
  sftp: {
    server: 'sftp',
    async accessor(env, { poolSize }) {
      const { SftpAccessor, sftpAccessorOptionsFromEnv } = await import(dist('accessor-sftp'));
      return new SftpAccessor({ ...sftpAccessorOptionsFromEnv(env), ...(poolSize ? { poolSize } : {}) });
    },
    rclone(env) {
      return {
        remote: `stowsftp:${env.STOWAGE_SFTP_FOLDER}`,
        env: {
          RCLONE_CONFIG_STOWSFTP_TYPE: 'sftp',
          RCLONE_CONFIG_STOWSFTP_HOST: env.STOWAGE_SFTP_HOST,
          RCLONE_CONFIG_STOWSFTP_PORT: env.STOWAGE_SFTP_PORT,
          RCLONE_CONFIG_STOWSFTP_USER: env.STOWAGE_SFTP_USERNAME,
          RCLONE_CONFIG_STOWSFTP_KEY_FILE: env.STOWAGE_SFTP_PRIVATE_KEY_PATH,
          // sshd forces internal-sftp: no remote shell, so no md5sum probe.
          RCLONE_CONFIG_STOWSFTP_SHELL_TYPE: 'none',
        },
      };
    },
    remove: (env) => removeUnder(join(env.STOWAGE_SFTP_DATA_ROOT, env.STOWAGE_SFTP_FOLDER)),
  },

  ftp: {
    // proftpd has MLST/MLSD; BENCH_FTP_SERVER=vsftpd for the other one.
    server: process.env.BENCH_FTP_SERVER ?? 'proftpd',
    async accessor(env, { poolSize }) {
      const { FtpAccessor } = await import(dist('accessor-ftp'));
      const secure = process.env.BENCH_FTPS === '1';
      return new FtpAccessor({
        host: env.STOWAGE_FTP_HOST,
        port: Number(env.STOWAGE_FTP_PORT),
        user: env.STOWAGE_FTP_USER,
        password: env.STOWAGE_FTP_PASSWORD,
        secure,
        ...(secure ? { secureOptions: { ca: readFileSync(env.STOWAGE_FTP_CA_FILE) } } : {}),
        ...(poolSize ? { poolSize } : {}),
      });
    },
    rclone(env) {
      const secure = process.env.BENCH_FTPS === '1';
      return {
        remote: 'stowftp:',
        // Multi-thread downloads (ranged RETRs cut short) get 426 from proftpd:
        // known rclone FTP limitation (rclone issues #3445, #3942), so one stream.
        flags: ['--multi-thread-streams', '0'],
        env: {
          RCLONE_CONFIG_STOWFTP_TYPE: 'ftp',
          RCLONE_CONFIG_STOWFTP_HOST: env.STOWAGE_FTP_HOST,
          RCLONE_CONFIG_STOWFTP_PORT: env.STOWAGE_FTP_PORT,
          RCLONE_CONFIG_STOWFTP_USER: env.STOWAGE_FTP_USER,
          RCLONE_CONFIG_STOWFTP_PASS: obscure(env.STOWAGE_FTP_PASSWORD),
          ...(secure
            ? {
                RCLONE_CONFIG_STOWFTP_EXPLICIT_TLS: 'true',
                RCLONE_CONFIG_STOWFTP_NO_CHECK_CERTIFICATE: 'true',
              }
            : {}),
        },
      };
    },
    remove: (env) => removeUnder(env.STOWAGE_FTP_ROOT),
  },

  s3: {
    server: 's3',
    async accessor(env) {
      const { S3Accessor, s3AccessorOptionsFromEnv } = await import(dist('accessor-s3'));
      return new S3Accessor(s3AccessorOptionsFromEnv(env));
    },
    rclone(env) {
      return {
        remote: `stows3:${env.STOWAGE_TEST_S3_BUCKET}`,
        env: {
          RCLONE_CONFIG_STOWS3_TYPE: 's3',
          RCLONE_CONFIG_STOWS3_PROVIDER: 'Other',
          RCLONE_CONFIG_STOWS3_ENDPOINT: env.STOWAGE_TEST_S3_ENDPOINT,
          RCLONE_CONFIG_STOWS3_REGION: env.STOWAGE_TEST_S3_REGION,
          RCLONE_CONFIG_STOWS3_ACCESS_KEY_ID: env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
          RCLONE_CONFIG_STOWS3_SECRET_ACCESS_KEY: env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
          RCLONE_CONFIG_STOWS3_FORCE_PATH_STYLE: 'true',
          // The bucket exists; versitygw answers rclone's CreateBucket probe with a 500.
          RCLONE_CONFIG_STOWS3_NO_CHECK_BUCKET: 'true',
        },
      };
    },
    remove: (env) => removeUnder(join(env.STOWAGE_TEST_S3_DATA_ROOT, env.STOWAGE_TEST_S3_BUCKET)),
  },

  azure: {
    server: 'azure',
    async accessor(env) {
      const { AzureBlobAccessor } = await import(dist('accessor-azure'));
      return new AzureBlobAccessor({
        connectionString: env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
        container: env.STOWAGE_TEST_AZURE_CONTAINER,
      });
    },
    async rclone(env) {
      // rclone 1.60's account/key mode builds https://<account>.<endpoint>, which
      // cannot reach Azurite on a random port: give it a container SAS URL instead.
      const { BlobServiceClient, ContainerSASPermissions } = await import('@azure/storage-blob');
      const container = BlobServiceClient.fromConnectionString(
        env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
      ).getContainerClient(env.STOWAGE_TEST_AZURE_CONTAINER);
      await container.createIfNotExists();
      const sasUrl = await container.generateSasUrl({
        permissions: ContainerSASPermissions.parse('racwdl'),
        expiresOn: new Date(Date.now() + 24 * 3600 * 1000),
      });
      return {
        remote: `stowaz:${env.STOWAGE_TEST_AZURE_CONTAINER}`,
        env: { RCLONE_CONFIG_STOWAZ_TYPE: 'azureblob', RCLONE_CONFIG_STOWAZ_SAS_URL: sasUrl },
      };
    },
    // Deleting 10,000 blobs one by one takes Azurite longer than the benchmark
    // itself; its data folder goes when the server stops, so nothing is removed.
    remove: () => async () => {},
  },

  server: {
    server: 'stowage-file-server',
    start: startFileServer,
    // No third-party client library to measure as a floor: curl is the bare client.
    library: false,
    async accessor(env) {
      const { ServerAccessor, serverAccessorOptionsFromEnv } = await import(dist('accessor-server'));
      return new ServerAccessor(serverAccessorOptionsFromEnv(env));
    },
    remove: (env) => removeUnder(env.STOWAGE_SERVER_ROOT),
  },
};

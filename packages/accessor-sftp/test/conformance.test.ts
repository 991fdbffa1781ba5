import { join } from 'node:path';
import { describeAccessorConformance, listConformanceCases } from '@stowage/conformance';
import { expect, it } from 'vitest';
import { SftpAccessor, sftpAccessorOptionsFromEnv } from '../src/index.js';
import { isolatedFolder, serverEnv } from './helpers.js';

// The shared suite against OpenSSH's sshd, in a folder of its own; the local
// path backing it lets the symlink-escape cases plant links.
const { folder, localPath } = isolatedFolder();

describeAccessorConformance('SftpAccessor (OpenSSH sshd)', {
  create: () => new SftpAccessor({ ...sftpAccessorOptionsFromEnv(), folder }),
  filesystemRoot: localPath,
});

it('registers the confinement and symlink cases for SFTP', () => {
  const accessor = new SftpAccessor({ ...sftpAccessorOptionsFromEnv(), folder });
  const cases = listConformanceCases(accessor.capabilities, { filesystemRoot: localPath });
  expect(cases.some((name) => name.includes('symlink'))).toBe(true);
  expect(localPath).toBe(join(serverEnv().dataRoot, folder));
});

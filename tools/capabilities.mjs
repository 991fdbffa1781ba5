#!/usr/bin/env node
// The capability matrix as data rendered into docs (rclone's backend facts):
// docs/capabilities.md is generated from each accessor's `capabilities`, and a
// test in packages/integration fails when the file and the code disagree.
//   node tools/capabilities.mjs          print the matrix
//   node tools/capabilities.mjs --write  rewrite docs/capabilities.md (build first)
import { writeFileSync } from 'node:fs';

/** Constructor options that build each accessor without connecting anywhere. */
export const OFFLINE_ACCESSORS = [
  ['disk', 'accessor-disk', 'DiskAccessor', { prefix: '/tmp' }],
  ['sftp', 'accessor-sftp', 'SftpAccessor', { host: 'example.invalid', username: 'u', password: 'p' }],
  ['ftp', 'accessor-ftp', 'FtpAccessor', { host: 'example.invalid', user: 'u', password: 'p' }],
  [
    's3',
    'accessor-s3',
    'S3Accessor',
    { bucket: 'b', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 's' },
  ],
  [
    'azure',
    'accessor-azure',
    'AzureBlobAccessor',
    { connectionString: 'UseDevelopmentStorage=true', container: 'c' },
  ],
  ['server', 'accessor-server', 'ServerAccessor', { url: 'http://example.invalid', user: 'u', apiKey: 'k' }],
];

const MiB = 1024 * 1024;

function size(bytes) {
  if (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  return `${bytes} B`;
}

function cell(value) {
  if (value === true) return 'yes';
  if (value === false) return '-';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '-';
  if (value && typeof value === 'object')
    return `${size(value.minPartSize)}-${size(value.maxPartSize)}, ${value.maxParts.toLocaleString('en-US')} parts`;
  return String(value);
}

/** Markdown for `[name, capabilities][]`. */
export function renderCapabilities(columns) {
  const keys = Object.keys(columns[0][1]);
  const lines = [
    '# Capabilities',
    '',
    "Generated from each accessor's `capabilities` by `node tools/capabilities.mjs --write`;",
    'the conformance suite picks its cases from the same data. Do not edit by hand.',
    '',
    `| capability | ${columns.map(([name]) => name).join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
    ...keys.map((key) => `| \`${key}\` | ${columns.map(([, caps]) => cell(caps[key])).join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}

async function fromBuilds() {
  const columns = [];
  for (const [name, pkg, exported, options] of OFFLINE_ACCESSORS) {
    const module = await import(new URL(`../packages/${pkg}/dist/index.js`, import.meta.url).href);
    const accessor = new module[exported](options);
    columns.push([name, accessor.capabilities]);
    await accessor.close?.();
  }
  return columns;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const markdown = renderCapabilities(await fromBuilds());
  if (process.argv.includes('--write')) {
    writeFileSync(new URL('../docs/capabilities.md', import.meta.url), markdown);
    console.log('wrote docs/capabilities.md');
  } else process.stdout.write(markdown);
}

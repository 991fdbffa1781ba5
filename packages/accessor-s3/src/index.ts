export { type S3AccessorOptions, s3AccessorOptionsFromEnv } from './options.js';
export { type PresignedPutOptions, S3_LIMITS, S3Accessor, type S3CopyTuning } from './s3-accessor.js';
export { isNotFound, isPreconditionFailed, redact, s3ErrorCode, toAccessorError } from './s3-errors.js';
export type { S3ResumeState } from './s3-resume.js';

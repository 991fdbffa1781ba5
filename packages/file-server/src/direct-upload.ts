import type { Accessor } from '@stowage/core';

/** What an accessor's `getUploadUrl` returns: a URL, or a URL and the headers the PUT must carry. */
export type PresignedUpload = string | { url: string; headers?: Record<string, string> };

export interface UploadUrlOptions {
  /** Seconds the URL stays valid. */
  expiresIn: number;
  contentType?: string | undefined;
  /** Exact size of the upload, when announced. */
  size?: number | undefined;
  /** Expected MD5 (hex), when announced. */
  md5?: string | undefined;
}

/**
 * An accessor that can presign a write to its own storage (S3 and the like):
 * clients then upload straight to the storage, and POST the completion URL
 * afterwards (DF Studio's "upload directly to S3").
 */
export interface UploadUrlProvider {
  getUploadUrl(resourceIdentifier: string, options: UploadUrlOptions): Promise<PresignedUpload>;
}

/** Duck-typed: `capabilities.presignWrite` and a `getUploadUrl` method. */
export function canPresignUpload(accessor: Accessor): accessor is Accessor & UploadUrlProvider {
  return (
    accessor.capabilities.presignWrite &&
    typeof (accessor as Partial<UploadUrlProvider>).getUploadUrl === 'function'
  );
}

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** S3 copies at most 5 GiB in one request; larger objects are copied part by part, server-side. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
const COPY_PART_BYTES = 512 * 1024 ** 2;

export interface CopyLimits {
  maxSingleCopyBytes: number;
  partBytes: number;
}

/** Copies `from` to `to` inside one bucket without the bytes leaving S3, whatever the size. */
export async function copyObject(
  client: S3Client,
  bucket: string,
  from: string,
  to: string,
  size: number,
  limits: CopyLimits = { maxSingleCopyBytes: MAX_SINGLE_COPY_BYTES, partBytes: COPY_PART_BYTES },
): Promise<void> {
  const CopySource = `${encodeURIComponent(bucket)}/${from.split('/').map(encodeURIComponent).join('/')}`;
  if (size <= limits.maxSingleCopyBytes) {
    await client.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource }));
    return;
  }
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: to }));
  try {
    const parts: CompletedPart[] = [];
    for (let start = 0, PartNumber = 1; start < size; start += limits.partBytes, PartNumber++) {
      const end = Math.min(start + limits.partBytes, size) - 1;
      const out = await client.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: to, UploadId, PartNumber, CopySource, CopySourceRange: `bytes=${start}-${end}` }),
      );
      parts.push({ PartNumber, ETag: out.CopyPartResult?.ETag });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (err) {
    // Unfinished parts are invisible but billed: drop them; the original error is what matters.
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId })).catch(() => undefined);
    throw err;
  }
}

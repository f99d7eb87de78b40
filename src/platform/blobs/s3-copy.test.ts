import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { copyObject } from './s3-copy.js';

// s3rver implements CopyObject (the contract suite runs it) but not UploadPartCopy, so the
// multipart path is checked here against a recording stand-in for the client.
function recordingClient(failOn?: string) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      if (name === failOn) throw new Error(`${name} failed`);
      if (command instanceof CreateMultipartUploadCommand) return { UploadId: 'up-1' };
      if (command instanceof UploadPartCopyCommand) return { CopyPartResult: { ETag: `"etag-${String(command.input.PartNumber)}"` } };
      return {};
    },
  };
  return { client: client as unknown as S3Client, sent };
}

describe('copyObject', () => {
  it('copies small objects with one CopyObject, URL-encoding the source', async () => {
    const { client, sent } = recordingClient();
    await copyObject(client, 'bucket', 'my prefix/tmp/x', 'my prefix/sha256/y', 10);
    expect(sent).toEqual([
      { name: CopyObjectCommand.name, input: { Bucket: 'bucket', Key: 'my prefix/sha256/y', CopySource: 'bucket/my%20prefix/tmp/x' } },
    ]);
  });

  it('copies objects over the single-copy limit part by part, with inclusive ranges covering every byte', async () => {
    const { client, sent } = recordingClient();
    await copyObject(client, 'bucket', 'tmp/x', 'sha256/y', 25, { maxSingleCopyBytes: 10, partBytes: 10 });
    expect(sent.map((s) => s.name)).toEqual([
      CreateMultipartUploadCommand.name,
      UploadPartCopyCommand.name,
      UploadPartCopyCommand.name,
      UploadPartCopyCommand.name,
      CompleteMultipartUploadCommand.name,
    ]);
    expect(sent.slice(1, 4).map((s) => [s.input.PartNumber, s.input.CopySourceRange])).toEqual([
      [1, 'bytes=0-9'],
      [2, 'bytes=10-19'],
      [3, 'bytes=20-24'],
    ]);
    expect(sent[4]!.input.MultipartUpload).toEqual({
      Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"etag-${n}"` })),
    });
  });

  it('aborts the multipart copy when a part fails, and reports the part failure', async () => {
    const { client, sent } = recordingClient(UploadPartCopyCommand.name);
    await expect(copyObject(client, 'bucket', 'tmp/x', 'sha256/y', 25, { maxSingleCopyBytes: 10, partBytes: 10 })).rejects.toThrow(
      'UploadPartCopyCommand failed',
    );
    expect(sent.at(-1)).toEqual({ name: AbortMultipartUploadCommand.name, input: { Bucket: 'bucket', Key: 'sha256/y', UploadId: 'up-1' } });
  });
});

// SPDX-License-Identifier: AGPL-3.0-or-later
/** Types for snappyjs 0.7 (pure JS snappy block format, CommonJS; ships no declarations). */
declare module 'snappyjs' {
  const snappy: {
    compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
    uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T;
  };
  export default snappy;
}

// SPDX-License-Identifier: AGPL-3.0-or-later
/** Checks that run before authentication, and the errors for requests no service can take. */
import type { WireRequest } from '../context.js';
import { AwsError } from '../errors.js';

/** Header section size, duplicate Host (request smuggling), control characters in values. */
export function checkHeaders(req: WireRequest, maxBytes: number, service: string): void {
  let total = 0;
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    total += raw[i].length + raw[i + 1].length + 4;
    if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') hosts++;
  }
  if (total > maxBytes) {
    throw new AwsError('RequestHeaderSectionTooLarge', `Your request header section exceeds the maximum allowed size (${maxBytes} bytes).`, {
      fields: service === 's3' ? { MaxSizeAllowed: maxBytes } : undefined,
    });
  }
  if (hosts > 1) throw new AwsError('InvalidRequest', 'The request carries more than one Host header.');
}

export function unknownServiceError(service: string): AwsError {
  return new AwsError('NotImplemented', `The service '${service}' named by the request's credential scope is not served by this gateway.`, { status: 501, fault: 'Receiver' });
}

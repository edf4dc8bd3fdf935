// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The awsQuery protocol (STS, IAM, CloudWatch's original protocol) and, with the `ec2` flavour,
 * the EC2 protocol. Requests: `Action=…&Version=…` plus parameters, in a form body (POST) or the
 * query string (GET). Responses: XML, see query-output.ts for the member rules.
 *
 *   awsQuery: <OpResponse xmlns="ns"><OpResult>…</OpResult><ResponseMetadata><RequestId>…
 *             error: <ErrorResponse xmlns="ns"><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/>
 *   ec2:      <OpResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>…</requestId>…
 *             error: <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
 */
import type { WireRequest, WireResponse } from '../context.js';
import { AwsError } from '../errors.js';
import type { ServiceModel } from './model.js';
import type { Codec, ParsedOperation, ProtocolName, ResponseContext } from './types.js';
import { baseHeaders, bodyBytes, header, isoTimestamp } from './common.js';
import { splitExtras } from './outputs.js';
import { QueryParams, decodeQueryStructure, type QueryFlavor } from './query-input.js';
import { writeXmlMembers, writeXmlValue, xmlEscape, xmlText } from './query-output.js';
import { checkRequired } from './validate.js';

const FORM = 'application/x-www-form-urlencoded';

/** The parameters of a query request: query string, then a form body. */
export function queryParams(req: WireRequest): QueryParams {
  const sources = [req.query];
  const body = bodyBytes(req);
  if (body.length > 0) {
    const ct = (header(req, 'content-type') ?? FORM).split(';')[0]!.trim().toLowerCase();
    if (ct !== FORM && ct !== '') {
      throw new AwsError('UnsupportedMediaType', `Content-Type ${ct} is not supported for this service; send ${FORM}.`, { status: 415 });
    }
    sources.push(body.toString('utf8'));
  }
  return QueryParams.parse(...sources);
}

/** The query-protocol error code for an AwsError (query-compatible services keep both). */
export function queryErrorCode(model: ServiceModel, err: AwsError): string {
  if (err.queryCode) return err.queryCode;
  const map = model.metadata.queryErrorCodes as Record<string, string> | undefined;
  return map?.[err.code] ?? err.code;
}

/** An error field as XML: lists as <member> elements (the query protocol's), structures as children. */
function fieldXml(name: string, v: unknown, out: string[]): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    out.push(`<${name}>`);
    for (const x of v) fieldXml('member', x, out);
    out.push(`</${name}>`);
  } else if (v instanceof Date) {
    out.push(`<${name}>${isoTimestamp(v)}</${name}>`);
  } else if (typeof v === 'object') {
    out.push(`<${name}>`);
    for (const [k, x] of Object.entries(v)) fieldXml(k, x, out);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${xmlText(String(v))}</${name}>`);
  }
}

function fieldsXml(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) fieldXml(k, v, out);
  return out.join('');
}

export class QueryCodec implements Codec {
  readonly protocol: ProtocolName;

  constructor(private readonly flavor: QueryFlavor) {
    this.protocol = flavor;
  }

  async parse(req: WireRequest, model: ServiceModel): Promise<ParsedOperation> {
    const p = queryParams(req);
    const action = p.get('Action');
    const version = p.get('Version');
    if (!action) {
      throw new AwsError('MissingAction', 'Missing Action');
    }
    const op = model.operations.get(action);
    // awsQuery services route on (Action, Version); EC2 accepts every past API version.
    if (!op || (this.flavor === 'query' && version !== undefined && version !== model.metadata.apiVersion)) {
      if (this.flavor === 'ec2') throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
      throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`);
    }
    const input = op.input ? decodeQueryStructure(p, op.input, '', this.flavor) : {};
    checkRequired(model, this.flavor, input, op.input);
    return { operation: action, input };
  }

  serialize(model: ServiceModel, operation: string, output: unknown, rc: ResponseContext): WireResponse {
    const op = model.operations.get(operation);
    const { body, status, headers } = splitExtras(output);
    const out: string[] = [];
    if (this.flavor === 'ec2') {
      out.push('<?xml version="1.0" encoding="UTF-8"?>\n');
      out.push(`<${operation}Response xmlns="http://ec2.amazonaws.com/doc/${model.metadata.apiVersion}/">`);
      out.push(`<requestId>${xmlEscape(rc.requestId)}</requestId>`);
      if (op?.output) writeXmlMembers(out, op.output, body);
      out.push(`</${operation}Response>`);
    } else {
      out.push(`<${operation}Response xmlns="${xmlEscape(model.metadata.xmlNamespace ?? '')}">`);
      if (op?.output) {
        const wrapper = op.output.resultWrapper ?? `${operation}Result`;
        writeXmlValue(out, wrapper, op.output, body);
      }
      out.push(`<ResponseMetadata><RequestId>${xmlEscape(rc.requestId)}</RequestId></ResponseMetadata>`);
      out.push(`</${operation}Response>`);
    }
    return {
      status: status ?? 200,
      headers: baseHeaders(rc.requestId, this.flavor === 'ec2' ? 'text/xml;charset=UTF-8' : 'text/xml', headers),
      body: out.join(''),
    };
  }

  serializeError(model: ServiceModel, err: AwsError, rc: ResponseContext): WireResponse {
    let body: string;
    const code = xmlEscape(queryErrorCode(model, err));
    const msg = xmlText(err.message);
    if (this.flavor === 'ec2') {
      body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Response><Errors><Error><Code>${code}</Code><Message>${msg}</Message>${fieldsXml(err.fields)}</Error></Errors>` +
        `<RequestID>${xmlEscape(rc.requestId)}</RequestID></Response>`;
    } else {
      body =
        `<ErrorResponse xmlns="${xmlEscape(model.metadata.xmlNamespace ?? '')}"><Error><Type>${err.fault}</Type>` +
        `<Code>${code}</Code><Message>${msg}</Message>${fieldsXml(err.fields)}</Error>` +
        `<RequestId>${xmlEscape(rc.requestId)}</RequestId></ErrorResponse>`;
    }
    return {
      status: err.status,
      headers: baseHeaders(rc.requestId, this.flavor === 'ec2' ? 'text/xml;charset=UTF-8' : 'text/xml', err.headers),
      body,
    };
  }
}

export const queryCodec = new QueryCodec('query');
export const ec2Codec = new QueryCodec('ec2');

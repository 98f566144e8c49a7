import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	ILoadOptionsFunctions,
	INodePropertyOptions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

export type GatewayContext = IExecuteFunctions | IHookFunctions | ILoadOptionsFunctions | IWebhookFunctions;

export const CREDENTIALS = 'waGatewayApi';

/** The gateway's answer envelope: {success, data, message, error: {code, details}}. */
interface Envelope {
	success?: boolean;
	data?: unknown;
	message?: string;
	error?: { code?: string; details?: IDataObject };
}

/** Why a request failed, in words a workflow author can act on. */
export function describeFailure(error: JsonObject & { message?: string }, baseUrl: string): string {
	const cause = (error.cause ?? error) as JsonObject & {
		code?: string;
		response?: { status?: number; data?: Envelope };
		status?: number;
		httpCode?: string;
	};
	const code = String(cause.code ?? error.code ?? '');
	// In words, not the error code: n8n replaces a message containing a known code with its own
	// generic text, which would lose the gateway's address.
	const network: Record<string, string> = {
		ECONNREFUSED: 'connection refused',
		ENOTFOUND: 'host name not found',
		EAI_AGAIN: 'host name lookup failed',
		ECONNRESET: 'connection closed',
		ETIMEDOUT: 'timed out',
		EHOSTUNREACH: 'host unreachable',
	};
	if (network[code]) {
		return `The gateway at ${baseUrl} cannot be reached (${network[code]}): is it running, and is the Base URL of the credential right?`;
	}
	const response = cause.response;
	const status = response?.status ?? (cause.httpCode ? Number(cause.httpCode) : undefined);
	const body = response?.data;
	const gatewayMessage = body && typeof body === 'object' ? body.message : undefined;
	const details = body && typeof body === 'object' ? body.error?.details : undefined;
	let text = gatewayMessage ?? String(error.message ?? 'request failed');
	if (details && typeof details === 'object' && Object.keys(details).length > 0) {
		text += ` (${Object.entries(details)
			.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
			.join('; ')})`;
	}
	if (status === 401) return `The gateway refused the API key (401): ${text}. Check the credential's API Key.`;
	if (status === 404 && /session not found/i.test(text)) {
		return `Session not found (404): it was deleted, or the API key may not use it. ${text}`;
	}
	return status ? `Gateway answered ${status}: ${text}` : text;
}

/** Calls the gateway API and returns the envelope's `data`; failures carry the gateway's message. */
export async function gatewayRequest(
	this: GatewayContext,
	method: IHttpRequestMethods,
	path: string,
	body?: IDataObject,
	qs?: IDataObject,
): Promise<any> {
	const credentials = await this.getCredentials(CREDENTIALS);
	const baseUrl = String(credentials.baseUrl ?? '').replace(/\/+$/, '');
	const options: IHttpRequestOptions = {
		method,
		url: `${baseUrl}/api/v1${path}`,
		json: true,
	};
	if (body !== undefined) options.body = body;
	if (qs !== undefined) options.qs = qs;
	try {
		const answer = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIALS, options)) as Envelope;
		return answer && typeof answer === 'object' && 'data' in answer ? answer.data : answer;
	} catch (error) {
		const message = describeFailure(error as JsonObject, baseUrl);
		const status = (error as { response?: { status?: number } }).response?.status;
		// A plain cause: n8n would otherwise replace the message with a generic one for
		// connection errors.
		throw new NodeApiError(this.getNode(), { message } as JsonObject, {
			message,
			description: message,
			httpCode: status ? String(status) : undefined,
		});
	}
}

/** Session picker: the sessions the credential's API key may use. */
export async function getSessions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const sessions = (await gatewayRequest.call(this, 'GET', '/sessions')) as IDataObject[] | IDataObject;
	const list = Array.isArray(sessions) ? sessions : ((sessions?.sessions as IDataObject[]) ?? []);
	return list.map((s) => ({
		name: `${String(s.session_name)} (${String(s.status ?? 'unknown')})`,
		value: String(s.session_id),
	}));
}

export function requireSession(this: IExecuteFunctions | IHookFunctions, sessionId: string, itemIndex?: number) {
	if (!sessionId) {
		throw new NodeOperationError(this.getNode(), 'Choose a session', { itemIndex });
	}
	return encodeURIComponent(sessionId);
}

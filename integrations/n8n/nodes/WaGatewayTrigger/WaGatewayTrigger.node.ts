import { createHmac, timingSafeEqual } from 'crypto';
import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { CREDENTIALS, gatewayRequest, getSessions } from '../WaGateway/GenericFunctions';

/** Requests older (or newer) than this are refused: a captured request cannot be replayed later. */
export const MAX_AGE_SECONDS = 300;

/**
 * Whether a request was signed by the gateway with `secret`: X-Webhook-Signature is
 * "sha256=" + hex HMAC-SHA256(secret, X-Webhook-Timestamp + "." + raw body), and the timestamp is
 * at most MAX_AGE_SECONDS away from now. Returns the reason when it was not.
 */
export function checkSignature(
	secret: string,
	headers: Record<string, string | string[] | undefined>,
	rawBody: Buffer | string,
	nowSeconds: number,
): string | undefined {
	const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
	const timestamp = one(headers['x-webhook-timestamp']);
	const signature = one(headers['x-webhook-signature']);
	if (!secret) return 'no secret stored for this trigger (deactivate and activate the workflow)';
	if (!/^\d{1,12}$/.test(timestamp)) return 'missing or malformed X-Webhook-Timestamp';
	if (Math.abs(nowSeconds - Number(timestamp)) > MAX_AGE_SECONDS) return 'stale X-Webhook-Timestamp';
	if (!signature) return 'missing X-Webhook-Signature';
	const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
	const expected = Buffer.from(
		'sha256=' +
			createHmac('sha256', secret)
				.update(Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]))
				.digest('hex'),
		'utf8',
	);
	const got = Buffer.from(signature, 'utf8');
	if (got.length !== expected.length || !timingSafeEqual(got, expected)) return 'bad X-Webhook-Signature';
	return undefined;
}

export class WaGatewayTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WA Gateway Trigger',
		name: 'waGatewayTrigger',
		icon: 'file:wa-gateway.svg',
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description:
			'Starts the workflow on WhatsApp events of a gateway session (registers its own signed webhook subscription)',
		defaults: { name: 'WA Gateway Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIALS, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: '={{$parameter["responseMode"]}}',
				// "Immediately": an empty 200, so the gateway sends no reply of its own.
				responseData: 'noData',
				path: 'whatsapp',
			},
		],
		properties: [
			{
				displayName: 'Session Name or ID',
				name: 'sessionId',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getSessions' },
				default: '',
				required: true,
				description:
					'The WhatsApp session whose events start this workflow. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: [
					{
						name: 'Message Received',
						value: 'message.received',
						description: 'A private message, or a group message that @-mentions the bot',
					},
					{
						name: 'Message Status',
						value: 'message.status',
						description: 'A sent message was delivered, read or played',
					},
					{
						name: 'Message Waiting',
						value: 'message.waiting',
						description: 'A message could not be decrypted yet; the sender was asked to re-send it',
					},
					{
						name: 'Session Status',
						value: 'session.status',
						description: 'The session connected, disconnected or needs a new QR scan',
					},
				],
				default: ['message.received'],
				required: true,
			},
			{
				displayName: 'Respond',
				name: 'responseMode',
				type: 'options',
				options: [
					{
						name: 'Immediately',
						value: 'onReceived',
						description: 'Answer the gateway at once; send messages with the WA Gateway node',
					},
					{
						name: "Using 'Respond to Webhook' Node",
						value: 'responseNode',
						description:
							'A later Respond to Webhook node answers {"reply": "…"}: the gateway sends the reply to the chat',
					},
				],
				default: 'onReceived',
			},
		],
	};

	methods = {
		loadOptions: { getSessions },
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const data = this.getWorkflowStaticData('node');
				const sessionId = this.getNodeParameter('sessionId') as string;
				if (!data.webhookId || data.sessionId !== sessionId) return false;
				const url = this.getNodeWebhookUrl('default');
				try {
					const list = (await gatewayRequest.call(
						this,
						'GET',
						`/sessions/${encodeURIComponent(sessionId)}/webhooks`,
					)) as IDataObject[];
					return list.some((s) => s.webhook_id === data.webhookId && s.url === url);
				} catch {
					return false;
				}
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const sessionId = this.getNodeParameter('sessionId') as string;
				const events = this.getNodeParameter('events') as string[];
				const url = this.getNodeWebhookUrl('default') as string;
				const made = (await gatewayRequest.call(
					this,
					'POST',
					`/sessions/${encodeURIComponent(sessionId)}/webhooks`,
					{ url, events },
				)) as IDataObject;
				const data = this.getWorkflowStaticData('node');
				data.webhookId = made.webhook_id;
				data.secret = made.secret;
				data.sessionId = sessionId;
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				const data = this.getWorkflowStaticData('node');
				if (data.webhookId && data.sessionId) {
					try {
						await gatewayRequest.call(
							this,
							'DELETE',
							`/sessions/${encodeURIComponent(String(data.sessionId))}/webhooks/${encodeURIComponent(
								String(data.webhookId),
							)}`,
						);
					} catch (error) {
						// Gone already (the session was deleted): nothing left to remove.
						if (!/404/.test(String((error as Error).message))) return false;
					}
				}
				delete data.webhookId;
				delete data.secret;
				delete data.sessionId;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject() as unknown as {
			headers: Record<string, string | string[] | undefined>;
			rawBody?: Buffer;
			body: unknown;
		};
		const res = this.getResponseObject();
		const data = this.getWorkflowStaticData('node');
		const raw = req.rawBody ?? Buffer.from(JSON.stringify(req.body ?? {}), 'utf8');
		const problem = checkSignature(String(data.secret ?? ''), req.headers, raw, Math.floor(Date.now() / 1000));
		if (problem) {
			// Not from the gateway (or replayed): refused, and the workflow does not run.
			res.status(401).json({ success: false, message: `rejected: ${problem}` });
			return { noWebhookResponse: true };
		}
		let payload: IDataObject;
		try {
			payload = JSON.parse(raw.toString('utf8')) as IDataObject;
		} catch {
			res.status(400).json({ success: false, message: 'rejected: the body is not JSON' });
			return { noWebhookResponse: true };
		}
		return { workflowData: [this.helpers.returnJsonArray(payload)] };
	}
}

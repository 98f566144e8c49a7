import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { CREDENTIALS, gatewayRequest, getSessions, requireSession } from './GenericFunctions';

const MEDIA = ['sendImage', 'sendDocument', 'sendAudio', 'sendVideo'];
const SENDS = ['sendText', 'reply', 'sendLocation', 'sendContact', ...MEDIA];
const NEEDS_SESSION = [...SENDS, 'markRead', 'typing', 'messageStatus', 'sessionStatus', 'getQr', 'analytics'];

const show = (operation: string[]) => ({ show: { operation } });

const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Get Analytics', value: 'analytics', action: 'Get analytics of a session' },
			{ name: 'Get Message Status', value: 'messageStatus', action: 'Get the status of a message' },
			{ name: 'Get QR Code', value: 'getQr', action: 'Get the QR code of a session' },
			{ name: 'Get Session Status', value: 'sessionStatus', action: 'Get the status of a session' },
			{ name: 'List Sessions', value: 'listSessions', action: 'List sessions' },
			{ name: 'Mark as Read', value: 'markRead', action: 'Mark a message as read' },
			{ name: 'Reply', value: 'reply', action: 'Reply to a message quoting it' },
			{ name: 'Send Audio', value: 'sendAudio', action: 'Send an audio' },
			{ name: 'Send Contact', value: 'sendContact', action: 'Send a contact' },
			{ name: 'Send Document', value: 'sendDocument', action: 'Send a document' },
			{ name: 'Send Image', value: 'sendImage', action: 'Send an image' },
			{ name: 'Send Location', value: 'sendLocation', action: 'Send a location' },
			{ name: 'Send Text', value: 'sendText', action: 'Send a text message' },
			{ name: 'Send Video', value: 'sendVideo', action: 'Send a video' },
			{ name: 'Show Typing', value: 'typing', action: 'Show typing in a chat' },
		],
		default: 'sendText',
	},
	{
		displayName: 'Session Name or ID',
		name: 'sessionId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getSessions' },
		default: '={{ $json.session_id }}',
		required: true,
		displayOptions: show(NEEDS_SESSION),
		description:
			'The WhatsApp session. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'To',
		name: 'to',
		type: 'string',
		default: '',
		required: true,
		displayOptions: show([...SENDS.filter((o) => o !== 'reply'), 'typing']),
		placeholder: '6281234567890 or 1203630@g.us',
		description: 'Phone number with country code, or a JID (user, LID or group)',
	},
	{
		displayName: 'Chat',
		name: 'chatId',
		type: 'string',
		default: '={{ $json.message.chat_id }}',
		required: true,
		displayOptions: show(['reply']),
		description: 'The chat of the message answered (chat_id of the trigger output)',
	},
	{
		displayName: 'Message ID',
		name: 'messageId',
		type: 'string',
		default: '={{ $json.message.id }}',
		required: true,
		displayOptions: show(['reply', 'markRead', 'messageStatus']),
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		displayOptions: show(['sendText', 'reply']),
	},
	{
		displayName: 'Media Source',
		name: 'mediaSource',
		type: 'options',
		options: [
			{ name: 'URL', value: 'url' },
			{ name: 'Binary Property', value: 'binary' },
		],
		default: 'url',
		displayOptions: show(MEDIA),
	},
	{
		displayName: 'Media URL',
		name: 'mediaUrl',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show: { operation: MEDIA, mediaSource: ['url'] } },
		description: 'An http(s) URL the gateway downloads the file from',
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		displayOptions: { show: { operation: MEDIA, mediaSource: ['binary'] } },
		description: 'The name of the input binary field holding the file',
	},
	{
		displayName: 'Caption',
		name: 'caption',
		type: 'string',
		default: '',
		displayOptions: show(['sendImage', 'sendDocument', 'sendVideo']),
	},
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		default: '',
		displayOptions: show(['sendDocument']),
	},
	{
		displayName: 'Voice Note',
		name: 'ptt',
		type: 'boolean',
		default: false,
		displayOptions: show(['sendAudio']),
		description: 'Whether to send the audio as a voice note',
	},
	{
		displayName: 'Latitude',
		name: 'latitude',
		type: 'number',
		typeOptions: { numberPrecision: 6 },
		default: 0,
		displayOptions: show(['sendLocation']),
	},
	{
		displayName: 'Longitude',
		name: 'longitude',
		type: 'number',
		typeOptions: { numberPrecision: 6 },
		default: 0,
		displayOptions: show(['sendLocation']),
	},
	{
		displayName: 'Place Name',
		name: 'placeName',
		type: 'string',
		default: '',
		displayOptions: show(['sendLocation']),
	},
	{
		displayName: 'Contact Name',
		name: 'contactName',
		type: 'string',
		default: '',
		required: true,
		displayOptions: show(['sendContact']),
	},
	{
		displayName: 'Contact Phone',
		name: 'contactPhone',
		type: 'string',
		default: '',
		required: true,
		displayOptions: show(['sendContact']),
	},
	{
		displayName: 'Typing State',
		name: 'typingState',
		type: 'options',
		options: [
			{ name: 'Typing', value: 'composing' },
			{ name: 'Stopped', value: 'paused' },
		],
		default: 'composing',
		displayOptions: show(['typing']),
	},
	{
		displayName: 'Period',
		name: 'period',
		type: 'options',
		options: [
			{ name: 'Daily', value: 'daily' },
			{ name: 'Weekly', value: 'weekly' },
			{ name: 'Monthly', value: 'monthly' },
		],
		default: 'daily',
		displayOptions: show(['analytics']),
	},
];

/** The body of POST /sessions/:id/send for one item. */
export async function sendBody(this: IExecuteFunctions, operation: string, i: number): Promise<IDataObject> {
	const body: IDataObject = {};
	if (operation === 'reply') {
		body.to = this.getNodeParameter('chatId', i) as string;
		body.type = 'text';
		body.content = this.getNodeParameter('text', i) as string;
		body.quoted_message_id = this.getNodeParameter('messageId', i) as string;
		return body;
	}
	body.to = this.getNodeParameter('to', i) as string;
	if (operation === 'sendText') {
		body.type = 'text';
		body.content = this.getNodeParameter('text', i) as string;
	} else if (operation === 'sendLocation') {
		body.type = 'location';
		const location: IDataObject = {
			latitude: this.getNodeParameter('latitude', i) as number,
			longitude: this.getNodeParameter('longitude', i) as number,
		};
		const name = this.getNodeParameter('placeName', i, '') as string;
		if (name) location.name = name;
		body.location = location;
	} else if (operation === 'sendContact') {
		body.type = 'contact';
		body.contact = {
			name: this.getNodeParameter('contactName', i) as string,
			phone: this.getNodeParameter('contactPhone', i) as string,
		};
	} else if (MEDIA.includes(operation)) {
		body.type = operation.replace('send', '').toLowerCase();
		if (this.getNodeParameter('mediaSource', i) === 'binary') {
			const field = this.getNodeParameter('binaryPropertyName', i) as string;
			const binary = this.helpers.assertBinaryData(i, field);
			const buffer = await this.helpers.getBinaryDataBuffer(i, field);
			body.media_base64 = buffer.toString('base64');
			body.mimetype = binary.mimeType;
			if (binary.fileName) body.filename = binary.fileName;
		} else {
			body.media_url = this.getNodeParameter('mediaUrl', i) as string;
		}
		if (operation !== 'sendAudio') {
			const caption = this.getNodeParameter('caption', i, '') as string;
			if (caption) body.content = caption;
		} else if (this.getNodeParameter('ptt', i, false)) {
			body.ptt = true;
		}
		if (operation === 'sendDocument') {
			const name = this.getNodeParameter('fileName', i, '') as string;
			if (name) body.filename = name;
		}
	}
	return body;
}

export class WaGateway implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WA Gateway',
		name: 'waGateway',
		icon: 'file:wa-gateway.svg',
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Send WhatsApp messages and read sessions through the WhatsApp Multi-Session API Gateway',
		defaults: { name: 'WA Gateway' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIALS, required: true }],
		properties,
	};

	methods = {
		loadOptions: { getSessions },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			try {
				const operation = this.getNodeParameter('operation', i) as string;
				let result: unknown;
				if (operation === 'listSessions') {
					result = await gatewayRequest.call(this, 'GET', '/sessions');
				} else {
					const session = requireSession.call(this, this.getNodeParameter('sessionId', i) as string, i);
					const base = `/sessions/${session}`;
					if (SENDS.includes(operation)) {
						result = await gatewayRequest.call(this, 'POST', `${base}/send`, await sendBody.call(this, operation, i));
					} else if (operation === 'markRead') {
						const id = encodeURIComponent(this.getNodeParameter('messageId', i) as string);
						result = await gatewayRequest.call(this, 'POST', `${base}/messages/${id}/read`, {});
					} else if (operation === 'typing') {
						result = await gatewayRequest.call(this, 'POST', `${base}/typing`, {
							to: this.getNodeParameter('to', i) as string,
							state: this.getNodeParameter('typingState', i) as string,
						});
					} else if (operation === 'messageStatus') {
						const id = encodeURIComponent(this.getNodeParameter('messageId', i) as string);
						result = await gatewayRequest.call(this, 'GET', `${base}/messages/${id}`);
					} else if (operation === 'sessionStatus') {
						result = await gatewayRequest.call(this, 'GET', base);
					} else if (operation === 'getQr') {
						result = await gatewayRequest.call(this, 'GET', `${base}/qr`);
					} else if (operation === 'analytics') {
						result = await gatewayRequest.call(this, 'GET', `/analytics${base}`, undefined, {
							period: this.getNodeParameter('period', i) as string,
						});
					} else {
						throw new NodeOperationError(this.getNode(), `Unknown operation: ${operation}`, { itemIndex: i });
					}
				}
				const rows = Array.isArray(result) ? (result as IDataObject[]) : [(result ?? {}) as IDataObject];
				for (const json of rows) out.push({ json, pairedItem: { item: i } });
			} catch (error) {
				if (this.continueOnFail()) {
					out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				throw error;
			}
		}
		return [out];
	}
}

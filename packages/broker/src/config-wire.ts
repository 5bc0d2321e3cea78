/** ConfigResource.Type values used on the wire by the config APIs. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

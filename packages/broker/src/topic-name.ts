/**
 * Kafka's topic-name rules (Topic.validate in Kafka): 1-249 characters from
 * [a-zA-Z0-9._-], and not "." or "..". 249 leaves room for the partition
 * suffix of the directory name and the ".delete" rename within a 255-byte
 * file-name limit.
 */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Returns null for a valid topic name, otherwise the reason it is invalid (Kafka's wording). */
export function topicNameProblem(name: string | null | undefined): string | null {
  if (name === null || name === undefined || name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  }
  if (!LEGAL_TOPIC_NAME.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** Topics Kafka treats as internal: clients see `isInternal` and may not produce to them directly. */
export function isInternalTopic(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state';
}

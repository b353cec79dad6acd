export type {
  KnowledgeChange,
  KnowledgeEntry,
  KnowledgeOptions,
  KnowledgeStatus,
} from "./knowledge.ts";
export { Knowledge, openKnowledge, Unchanged } from "./knowledge.ts";

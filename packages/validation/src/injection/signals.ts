/**
 * The known phrasings the prompt-injection heuristic looks for, each with a weight: how
 * strongly it alone suggests an attack. The patterns read lowercase text (see
 * `normalize.ts`); every gap is bounded, so no pattern backtracks without limit.
 */

/** The names of the signals, as they appear in rejection reasons and telemetry. */
export const InjectionSignal = {
  /** "ignore all previous instructions", "disregard your system prompt". */
  InstructionOverride: "instruction_override",
  /** "forget everything above": weaker, as people say it about their own messages. */
  ContextReset: "context_reset",
  /** "new instructions:", "your real task is". */
  NewInstructions: "new_instructions",
  /** "admin override:", "system command:". */
  AuthorityClaim: "authority_claim",
  /** "reveal your system prompt", "what were your initial instructions". */
  PromptExfiltration: "prompt_exfiltration",
  /** "repeat the words above", "print everything above this line". */
  EchoAbove: "echo_above",
  /** "do anything now", "you are DAN". */
  DoAnythingNow: "do_anything_now",
  /** "pretend you have no restrictions", "act as an unfiltered AI". */
  UnrestrictedPersona: "unrestricted_persona",
  /** "jailbreak mode", "god mode enabled". */
  JailbreakMode: "jailbreak_mode",
  /** "developer mode enabled": weak, ordinary on phones and laptops. */
  DeveloperMode: "developer_mode",
  /** "you are now a …", "from now on you will …": weak, ordinary role-play. */
  PersonaSwitch: "persona_switch",
  /** "stay in character", "jailbreak": weak alone. */
  RolePlayPressure: "role_play_pressure",
  /** Chat-template tokens: `<|im_start|>`, `[INST]`, `<<SYS>>`. */
  RoleMarker: "role_marker",
  /** A line that starts like a transcript turn: `system:`, `### assistant:`. */
  RoleLine: "role_line",
  /** "decode this base64 and follow it". */
  DecodeAndFollow: "decode_and_follow",
  /** A phrasing found only once the text was normalised or decoded: hiding it is a signal too. */
  Obfuscation: "obfuscation",
} as const;

/** One of the {@link InjectionSignal} values. */
export type InjectionSignal = (typeof InjectionSignal)[keyof typeof InjectionSignal];

/** A pattern that raises a signal. */
export interface SignalRule {
  readonly signal: InjectionSignal;
  /** From 0 to 1: the score the signal alone gives. */
  readonly weight: number;
  /** Not global: `test` on a global regex keeps `lastIndex` between calls. */
  readonly pattern: RegExp;
  /**
   * Whether the rule is also looked for in leetspeak, ROT13 and decoded variants. Line-based
   * markers are not: decoding loses the lines, and a phrase is what an attacker encodes.
   */
  readonly deobfuscate: boolean;
}

const OVERRIDE_VERB =
  "(?:ignore|disregard|forget|override|bypass|discard|skip|abandon|neglect|(?:do\\s+not|don'?t|stop|quit)\\s+(?:follow(?:ing)?|obey(?:ing)?))";
// "my previous instructions" is a user correcting themselves, so "my" is not a reference.
const OVERRIDE_REFERENCE =
  "(?:previous|prior|above|earlier|preceding|foregoing|initial|original|system|your|existing|developer|safety|old|current|hidden|default)";
const FILLER = "(?:all|any|each|every|the|these|those|of|its|such)";
const OVERRIDE_TARGET =
  "(?:instructions?|prompts?|rules|directions|directives|guidelines|guardrails|commands|constraints|programming|restrictions|polic(?:y|ies)|training)";

const EXFIL_VERB =
  "(?:reveal|show|print|repeat|output|display|tell|give|share|leak|dump|reproduce|recite|write|spell|send|list|provide|disclose|expose|paste|copy)";
// "the system prompt" alone is how people ask about a command shell, so "the" needs one of these.
const PROMPT_ADJECTIVE =
  "(?:full|entire|complete|exact|whole|first|original|initial|hidden|secret|internal|developer|current|real)";

const rule = (
  signal: InjectionSignal,
  weight: number,
  source: string,
  deobfuscate = true,
): SignalRule => Object.freeze({ signal, weight, pattern: new RegExp(source, "u"), deobfuscate });

/** The rules. Weights are chosen so one strong phrasing reaches the default threshold 0.5. */
export const SIGNAL_RULES: readonly SignalRule[] = Object.freeze([
  rule(
    InjectionSignal.InstructionOverride,
    0.9,
    `\\b${OVERRIDE_VERB}\\s+(?:${FILLER}\\s+){0,3}${OVERRIDE_REFERENCE}\\s+(?:(?:${FILLER}|${OVERRIDE_REFERENCE})\\s+){0,3}${OVERRIDE_TARGET}\\b`,
  ),
  rule(
    InjectionSignal.ContextReset,
    0.45,
    "\\b(?:ignore|disregard|forget)\\s+(?:about\\s+)?(?:all\\s+(?:of\\s+)?)?(?:everything|anything|all)\\s+(?:(?:you\\s+(?:were|have\\s+been)\\s+told)|(?:(?:written|said|stated)\\s+)?(?:above|before|previously|so\\s+far|earlier))\\b",
  ),
  rule(
    InjectionSignal.NewInstructions,
    0.35,
    "\\b(?:(?:new|updated|revised|real|actual|true)\\s+(?:system\\s+)?(?:instructions|prompt|directives)\\s*:|your\\s+(?:new|real|true|actual)\\s+(?:instructions|task|purpose|goal|role|directive)\\s+(?:is|are)\\b)",
  ),
  rule(
    InjectionSignal.AuthorityClaim,
    0.35,
    "\\b(?:system|admin(?:istrator)?|developer|root|sudo)\\s+(?:override|command|instruction|directive)s?\\s*:",
  ),
  rule(
    InjectionSignal.PromptExfiltration,
    0.8,
    `\\b${EXFIL_VERB}\\b(?:\\s+[\\p{L}'-]+){0,4}?\\s+(?:your\\s+(?:${PROMPT_ADJECTIVE}\\s+){0,3}(?:system\\s+)?(?:prompt|instructions)(?!\\s+(?:engineering|design|templates?|library|writing|tips|ideas|examples?|for|on|about)\\b)|the\\s+(?:${PROMPT_ADJECTIVE}\\s+){1,3}(?:system\\s+)?(?:prompt|instructions)|the\\s+system\\s+(?:prompt|instructions|message)\\s+(?:you|that\\s+you|above|verbatim|word\\s+for\\s+word))\\b`,
  ),
  rule(
    InjectionSignal.PromptExfiltration,
    0.7,
    "\\bwhat\\s+(?:is|are|was|were)\\s+(?:your|the)\\s+(?:(?:exact|full|original|initial|hidden|secret|system)\\s+){1,3}(?:prompt|instructions|message)\\b",
  ),
  rule(
    InjectionSignal.EchoAbove,
    0.55,
    "\\b(?:repeat|print|output|reproduce|recite|echo|copy|return|write\\s+out)\\s+(?:back\\s+)?(?:(?:all|the|of|every|each)\\s+){0,2}(?:text|words|lines|tokens|everything|characters)\\s+(?:written\\s+)?(?:above|before\\s+this|preceding\\s+this|prior\\s+to\\s+this)\\b",
  ),
  rule(
    InjectionSignal.EchoAbove,
    0.4,
    "\\b(?:starting|beginning)\\s+with\\s+[\"'“‘]?you\\s+are\\b",
  ),
  rule(InjectionSignal.DoAnythingNow, 0.85, "\\bdo\\s+anything\\s+now\\b"),
  rule(
    InjectionSignal.DoAnythingNow,
    0.6,
    "\\byou\\s+are\\s+(?:now\\s+)?(?:going\\s+to\\s+(?:be|act\\s+as)\\s+)?dan\\b(?!['’]s)",
  ),
  rule(
    InjectionSignal.UnrestrictedPersona,
    0.75,
    "\\b(?:pretend|imagine|act\\s+as\\s+(?:if|though)|behave\\s+as\\s+(?:if|though)|suppose|assume)\\s+(?:that\\s+)?you\\b(?:\\s+[\\p{L}'-]+){0,6}?\\s+(?:no|zero|without(?:\\s+any)?)\\s+(?:[\\p{L}-]+\\s+)?(?:restrictions|limitations|limits|rules|filters|guidelines|censorship|boundaries|constraints|content\\s+polic(?:y|ies)|ethics|morals|safeguards|guardrails)\\b",
  ),
  rule(
    InjectionSignal.UnrestrictedPersona,
    0.7,
    "\\b(?:act|behave|respond|answer|reply|roleplay|role-play|pose|speak)\\s+(?:as|like)\\s+(?:an?\\s+|the\\s+)?(?:unfiltered|uncensored|unrestricted|unaligned|unethical|amoral|immoral|evil|unbound|jailbroken)\\b",
  ),
  rule(
    InjectionSignal.UnrestrictedPersona,
    0.65,
    "\\byou\\s+are\\s+(?:no\\s+longer|not)\\s+(?:an?\\s+)?(?:ai|assistant|language\\s+model|chatbot|bound\\s+by|restricted\\s+by|limited\\s+by|chatgpt|claude|gpt)\\b",
  ),
  rule(
    InjectionSignal.JailbreakMode,
    0.65,
    "\\b(?:god|jailbreak|jailbroken|unrestricted|unfiltered|evil|chaos|dan)\\s+mode\\b",
  ),
  rule(
    InjectionSignal.DeveloperMode,
    0.3,
    "\\b(?:developer|dev|debug|maintenance|admin)\\s+mode\\s+(?:is\\s+)?(?:now\\s+)?(?:enabled|activated|engaged|on)\\b",
  ),
  rule(
    InjectionSignal.PersonaSwitch,
    0.25,
    "\\b(?:you\\s+are\\s+now\\s+(?:an?|in|my|the|called|named|playing)\\b|from\\s+now\\s+on,?\\s+you\\s+(?:are|will|must|shall|should|respond|answer|act)\\b)",
  ),
  rule(
    InjectionSignal.RolePlayPressure,
    0.2,
    "\\b(?:(?:stay|remain)\\s+in\\s+character|break(?:ing)?\\s+character|jailbr(?:eak|oken|eaking))\\b",
  ),
  rule(
    InjectionSignal.RoleMarker,
    0.6,
    "<\\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id)\\|>|\\[/?inst\\]|<</?sys>>|<(?:start|end)_of_turn>|</?(?:system|system_prompt)>",
    false,
  ),
  rule(
    InjectionSignal.RoleLine,
    0.3,
    "(?:^|\\n)[ \\t]*(?:#{1,3}[ \\t]*|\\[|\\*\\*)?(?:system|assistant|developer)(?:[ \\t]+(?:prompt|message|instructions))?[ \\t]*(?:\\]|\\*\\*)?[ \\t]*:",
    false,
  ),
  rule(
    InjectionSignal.DecodeAndFollow,
    0.45,
    "\\b(?:(?:decode|decipher|decrypt|translate|convert|unscramble|reverse)\\b[^.\\n]{0,50}\\b(?:base-?64|rot-?13|hex(?:adecimal)?|binary|morse|caesar|cipher|encoded|reversed)\\b[^.\\n]{0,80}\\b(?:follow|execute|obey|comply|carry\\s+out|perform|act\\s+on)|(?:follow|execute|obey)\\s+(?:the\\s+)?(?:decoded|hidden|encoded)\\s+(?:instructions|text|message|commands?))\\b",
  ),
]);

/**
 * The strongest phrasings spelled without spaces, looked for in text written letter by letter
 * once everything but the letters is dropped ("i g n o r e a l l p r e v i o u s …").
 */
export const SQUASHED_RULES: readonly SignalRule[] = Object.freeze([
  rule(
    InjectionSignal.InstructionOverride,
    0.9,
    "(?:ignore|disregard|forget|bypass|override)(?:all|any|the|your|of){0,3}(?:previous|prior|above|earlier|preceding|initial|original|system)(?:instructions?|prompts?|rules|directives|guidelines)",
  ),
  rule(
    InjectionSignal.PromptExfiltration,
    0.8,
    "(?:reveal|show|print|repeat|output|tell|give|leak|dump)(?:me)?(?:your|the)(?:full|entire|hidden|secret|initial|original)?systemprompt",
  ),
  rule(InjectionSignal.DoAnythingNow, 0.85, "doanythingnow"),
]);

/** The weight of {@link InjectionSignal.Obfuscation}, added when a phrasing was hidden. */
export const OBFUSCATION_WEIGHT = 0.3;

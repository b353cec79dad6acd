import { type ErrorStep, ModelStep } from "./model-step.ts";

/**
 * The errors the model server answers by itself, worded as OpenAI words them. Those that mean a
 * broken test rather than a broken client say `x-should-retry: false`, so the client does not
 * hide them behind retries.
 */
export const ModelServerErrors = {
  missingApiKey(): ErrorStep {
    return ModelStep.error({
      status: 401,
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    });
  },
  /** The key is not echoed, not even masked: it must not reach a log through an error. */
  invalidApiKey(): ErrorStep {
    return ModelStep.error({
      status: 401,
      message: "Incorrect API key provided.",
      code: "invalid_api_key",
    });
  },
  invalidUrl(method: string, path: string): ErrorStep {
    return ModelStep.error({ status: 404, message: `Invalid URL (${method} ${path})` });
  },
  modelNotFound(model: string): ErrorStep {
    return ModelStep.error({
      status: 404,
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
      param: "model",
      code: "model_not_found",
    });
  },
  bodyTooLarge(limit: number): ErrorStep {
    return ModelStep.error({
      status: 413,
      message: `The request body exceeds ${limit} bytes.`,
      code: "request_too_large",
    });
  },
  scriptExhausted(index: number): ErrorStep {
    return ModelStep.error({
      status: 500,
      message: `The test model server has no scripted step left for request ${index} and no handler.`,
      type: "testkit_error",
      code: "script_exhausted",
      headers: { "x-should-retry": "false" },
    });
  },
  handlerFailed(cause: unknown): ErrorStep {
    return ModelStep.error({
      status: 500,
      message: `The test model server's handler threw: ${cause instanceof Error ? cause.message : String(cause)}`,
      type: "testkit_error",
      code: "handler_failed",
      headers: { "x-should-retry": "false" },
    });
  },
  internal(cause: unknown): ErrorStep {
    return ModelStep.error({
      status: 500,
      message: `The test model server failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      type: "testkit_error",
      code: "internal_error",
      headers: { "x-should-retry": "false" },
    });
  },
} as const;

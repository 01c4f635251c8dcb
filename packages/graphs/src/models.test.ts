import { describe, expect, test } from "bun:test";
import { startFakeOpenAI } from "@fractal/infra/testing/openai-server";
import { ChatAnthropic } from "@langchain/anthropic";
import { HumanMessage } from "@langchain/core/messages";
import { ChatGoogleGenerativeAI } from "@langchain/google-genai";
import { ChatOllama } from "@langchain/ollama";
import { ChatOpenAI } from "@langchain/openai";
import { checkModelSpec, createChatModel } from "./models.ts";

const KEYS = {
  openai: { apiKey: "sk-openai-secret" },
  anthropic: { apiKey: "sk-ant-secret" },
  google: { apiKey: "google-secret" },
  openrouter: { apiKey: "sk-or-secret" },
};

describe("createChatModel", () => {
  test("fake:<name> prefixes replies with the name", async () => {
    expect((await createChatModel("fake:bot").invoke([new HumanMessage("hi")])).content).toBe("bot: hi");
    expect((await createChatModel("fake:echo").invoke([new HumanMessage("hi")])).content).toBe("You said: hi");
  });

  test("each provider builds its LangChain chat model with the model, temperature and max tokens", () => {
    const opts = { temperature: 0.25, maxTokens: 77 };
    const openai = createChatModel("openai:gpt-4o-mini", opts, KEYS) as ChatOpenAI;
    expect(openai).toBeInstanceOf(ChatOpenAI);
    expect([openai.model, openai.temperature, openai.maxTokens]).toEqual(["gpt-4o-mini", 0.25, 77]);
    const anthropic = createChatModel("anthropic:claude-sonnet-4-5", opts, KEYS) as ChatAnthropic;
    expect(anthropic).toBeInstanceOf(ChatAnthropic);
    expect([anthropic.model, anthropic.temperature, anthropic.maxTokens]).toEqual(["claude-sonnet-4-5", 0.25, 77]);
    const google = createChatModel("google:gemini-2.5-flash", opts, KEYS) as ChatGoogleGenerativeAI;
    expect(google).toBeInstanceOf(ChatGoogleGenerativeAI);
    expect([google.model, google.temperature, google.maxOutputTokens]).toEqual(["gemini-2.5-flash", 0.25, 77]);
    const router = createChatModel("openrouter:meta-llama/llama-3.3-70b", opts, KEYS) as ChatOpenAI;
    expect(router.model).toBe("meta-llama/llama-3.3-70b");
    expect(router.clientConfig.baseURL).toBe("https://openrouter.ai/api/v1");
    const ollama = createChatModel("ollama:llama3.2", { ...opts, baseUrl: "http://gpu:11434" }) as ChatOllama;
    expect(ollama).toBeInstanceOf(ChatOllama);
    expect([ollama.model, ollama.temperature, ollama.numPredict, ollama.baseUrl]).toEqual([
      "llama3.2",
      0.25,
      77,
      "http://gpu:11434",
    ]);
  });

  test("a missing key names the variable to set", () => {
    expect(() => createChatModel("anthropic:claude-sonnet-4-5")).toThrow("set ANTHROPIC_API_KEY");
    expect(() => createChatModel("openai-compatible:qwen")).toThrow(/needs a base_url/);
  });

  test("a keyed provider refuses a base URL override, so its key cannot be sent elsewhere", () => {
    expect(() => createChatModel("openai:gpt-4o", { baseUrl: "http://collector.example" }, KEYS)).toThrow(
      /base_url cannot be overridden for openai/,
    );
  });

  test("openai-compatible talks to the base URL, with the configured key only for the configured URL", async () => {
    const server = startFakeOpenAI();
    try {
      const providers = { "openai-compatible": { baseUrl: server.baseUrl, apiKey: "compat-secret" } };
      const model = createChatModel("openai-compatible:qwen2.5", { temperature: 0 }, providers);
      expect((await model.invoke([new HumanMessage("hello")])).content).toBe("qwen2.5 heard: hello");
      const tokens: string[] = [];
      for await (const chunk of await model.stream([new HumanMessage("a b")])) tokens.push(String(chunk.content));
      expect(tokens.filter(Boolean)).toEqual(["qwen2.5", " heard:", " a", " b"]);
      expect(server.requests[0]?.authorization).toBe("Bearer compat-secret");
      expect(server.requests[0]?.body).toMatchObject({ model: "qwen2.5", temperature: 0 });
      // The same endpoint named per assistant, but not the configured one: the key stays home.
      const other = createChatModel("openai-compatible:qwen2.5", { baseUrl: `${server.baseUrl}/` }, providers);
      await other.invoke([new HumanMessage("x")]);
      expect(server.requests.at(-1)?.authorization).toBe("Bearer not-needed");
    } finally {
      server.stop();
    }
  });

  test("errors never contain a key", () => {
    const messages: string[] = [];
    for (const spec of ["openai:", "nope:x", "anthropic:m"]) {
      try {
        createChatModel(spec, { baseUrl: "http://x" }, KEYS);
      } catch (error) {
        messages.push(JSON.stringify([String(error), (error as { details?: unknown }).details]));
      }
    }
    expect(messages.length).toBe(3);
    for (const message of messages) expect(message).not.toContain("secret");
  });
});

describe("checkModelSpec", () => {
  test("an unknown provider or a missing model is a 422 naming the providers", () => {
    expect(() => checkModelSpec("nope:model")).toThrow(/unknown model provider in 'nope:model'; use one of openai/);
    expect(() => checkModelSpec("gpt-4o")).toThrow(/unknown model provider/);
    expect(() => checkModelSpec("openai:")).toThrow(/names no model/);
    expect(() => checkModelSpec(42)).toThrow(/must be a 'provider:model' string/);
    try {
      checkModelSpec("nope:model");
    } catch (error) {
      expect((error as { status: number }).status).toBe(422);
    }
    expect(() => checkModelSpec("fake:echo")).not.toThrow();
    expect(() => checkModelSpec("openai-compatible:qwen")).not.toThrow();
  });
});

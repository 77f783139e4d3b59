// A LangGraph.js graph that asks mimic before it asks a model
// (docs/agent-langgraph.md). The cloned policy behind `mimic agent serve`
// answers the confident moves; the rest go to the reasoning model, whose
// choice is sent back to mimic as a correction to learn from.
//
//   npm install @langchain/langgraph @langchain/core
//   mimic agent serve --model agent.mimic --port 8080 --store corrections.db
//   node router.mjs '{"intent": "order_status", "request": "Where is order F1207?"}'
//
// Each argument is a user's request; for each, the script prints the path
// the graph took and the moves made, one JSON line. TOOLS and
// reasoningModel are stand-ins: put your tools and your LLM call there.
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

const MIMIC = process.env.MIMIC_URL ?? "http://127.0.0.1:8080";

// Your tools: name -> function of the arguments mimic filled in.
const TOOLS = {
  search_orders: ({ order_id }) => ({ order_id, status: "shipped", eta: "2024-05-21" }),
  escalate_to_human: ({ reason }) => ({ ticket: 1, reason }),
};

// Your reasoning model: the move to make where mimic is unsure (here a rule).
async function reasoningModel(state, examples) {
  void examples; // few-shot demonstrations of similar states, for the prompt
  if (state.intent === "complaint" && state.previous_actions.length === 0)
    return { tool: "escalate_to_human", arguments: { reason: "complaint" } };
  return { reply: "Done." };
}

async function post(path, body) {
  const r = await fetch(MIMIC + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await r.json();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${answer.error}`); // 400 names what is wrong
  return answer;
}

const last = () => Annotation({ reducer: (_, b) => b, default: () => undefined });
const list = () => Annotation({ reducer: (a, b) => a.concat(b), default: () => [] });
const AgentState = Annotation.Root({
  intent: last(),
  request: last(),
  previous_actions: list(), // [{tool, arguments} | {reply}]
  observations: list(),     // what came back after each action
  decision: last(),         // mimic's answer for the current state
  done: last(),
  path: list(),             // the nodes visited, to print
});

const mimicState = (s) => ({
  intent: s.intent ?? null,
  request: s.request,
  previous_actions: s.previous_actions,
  observations: s.observations.slice(-8), // the last 8 are all it uses
});

async function route(s) {
  const decision = await post("/predict", { state: mimicState(s), k: 3 });
  return { decision, path: ["route"] };
}

// The conditional edge: `act` says whether mimic is confident (true) or the
// state goes to the fallback (false), whatever the server calls its fallback.
function choose(s) {
  if (s.previous_actions.length >= 6) return "stop"; // a guard for the example
  if (!s.decision.act) return "llm";
  return s.decision.tool === null ? "reply" : "act";
}

async function act(s) {
  const { tool, arguments: args } = s.decision;
  const result = (TOOLS[tool] ?? (() => ({})))(args ?? {});
  return {
    previous_actions: [{ tool, arguments: args }],
    observations: [JSON.stringify(result)],
    path: ["act:" + tool],
  };
}

async function llm(s) {
  const move = await reasoningModel(s, s.decision.examples);
  const action = move.tool ?? "reply";
  await post("/correct", {
    state: mimicState(s),
    action,
    arguments: move.arguments,
    labeler: "llm",
    guess: { action: s.decision.action, confidence: s.decision.confidence },
  });
  if (action === "reply") return { done: true, previous_actions: [move], path: ["llm:reply"] };
  const result = (TOOLS[action] ?? (() => ({})))(move.arguments ?? {});
  return {
    previous_actions: [move],
    observations: [JSON.stringify(result)],
    path: ["llm:" + action],
  };
}

const reply = async () => ({ done: true, path: ["reply"] });

export const graph = new StateGraph(AgentState)
  .addNode("route", route)
  .addNode("act", act)
  .addNode("llm", llm)
  .addNode("reply", reply)
  .addEdge(START, "route")
  .addConditionalEdges("route", choose, { act: "act", llm: "llm", reply: "reply", stop: END })
  .addEdge("act", "route")
  .addConditionalEdges("llm", (s) => (s.done ? END : "route"))
  .addEdge("reply", END)
  .compile();

for (const arg of process.argv.slice(2)) {
  const start = JSON.parse(arg);
  const end = await graph.invoke(start, { recursionLimit: 40 });
  console.log(JSON.stringify({ request: start.request, path: end.path, moves: end.previous_actions }));
}

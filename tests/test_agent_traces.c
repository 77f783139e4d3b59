/* Agent traces: the importers on the shipped files (tau-bench airline's
 * OpenAI transcripts with tool_calls, FireAct's ReAct text) with the counts
 * the data README gives; ReAct with JSON arguments in its written forms;
 * malformed records reported with their line and field while the rest
 * load; mimic's format written and read back unchanged; states to and from
 * JSON; examples and the split by task. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/agent.h"
#include "agent/agent_impl.h"

static char *data_path(const char *rel) {
  static char buf[1024];
  snprintf(buf, sizeof buf, "%s/text-agents/%s", tu_data_dir(), rel);
  return buf;
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static size_t count_action(const mimic_agent_traces *t, const char *a) {
  size_t n = 0;
  for (size_t i = 0; i < t->n; i++)
    for (size_t k = 0; k < t->t[i].n_steps; k++) n += !strcmp(t->t[i].steps[k].action, a);
  return n;
}

static const mimic_agent_problem *problem_on(const mimic_agent_traces *t, int64_t line) {
  for (size_t i = 0; i < t->n_problems; i++)
    if (t->problems[i].line == line) return &t->problems[i];
  return NULL;
}

/* tau-bench airline: 200 runs, 1,164 tool calls over 14 tools, 1,290 replies. */
static void test_tau_bench(void **state) {
  (void)state;
  mimic_agent_traces t;
  assert_int_equal(mimic_agent_traces_read(data_path("tau-bench/gpt-4o-airline.json"),
                                           MIMIC_AGENT_FORMAT_AUTO, &t),
                   MIMIC_OK);
  assert_int_equal(t.n, 200);
  assert_int_equal(t.n_problems, 0);
  size_t steps = 0, calls = 0;
  for (size_t i = 0; i < t.n; i++) {
    steps += t.t[i].n_steps;
    for (size_t k = 0; k < t.t[i].n_steps; k++) {
      const mimic_agent_step *s = &t.t[i].steps[k];
      if (strcmp(s->action, MIMIC_AGENT_REPLY)) {
        calls++;
        assert_non_null(s->arguments);
        assert_null(s->reply);
        json_t *a = json_loads(s->arguments, 0, NULL);
        assert_true(json_is_object(a));
        json_decref(a);
        assert_non_null(s->observation); /* every call got its tool result */
      } else {
        assert_non_null(s->reply);
      }
    }
  }
  assert_int_equal(steps, 2454);
  assert_int_equal(calls, 1164);
  assert_int_equal(count_action(&t, MIMIC_AGENT_REPLY), 1290);
  assert_int_equal(count_action(&t, "get_reservation_details"), 377);
  assert_int_equal(count_action(&t, "search_direct_flight"), 141);
  assert_int_equal(count_action(&t, "get_user_details"), 120);
  assert_int_equal(count_action(&t, "update_reservation_flights"), 104);
  assert_int_equal(count_action(&t, "calculate"), 96);
  assert_int_equal(count_action(&t, "think"), 92);
  assert_int_equal(count_action(&t, "cancel_reservation"), 69);
  assert_int_equal(count_action(&t, "book_reservation"), 53);
  assert_int_equal(count_action(&t, "transfer_to_human_agents"), 48);
  /* 14 distinct tools */
  mimic_agent_examples ex = {0};
  assert_int_equal(mimic_agent_examples_add_traces(&ex, &t, NULL), MIMIC_OK);
  assert_int_equal(ex.n, 2454);
  const char *names[4096];
  for (size_t i = 0; i < ex.n; i++) names[i] = ex.ex[i].action;
  mimic_labelset ls;
  assert_int_equal(mimic_labelset_build(&ls, names, ex.n, NULL), MIMIC_OK);
  assert_int_equal(ls.n, 15); /* 14 tools + reply */
  mimic_labelset_free(&ls);
  /* ids, tasks, rewards, the request and the first states */
  size_t successes = 0;
  for (size_t i = 0; i < t.n; i++) successes += t.t[i].reward == 1.0;
  assert_int_equal(successes, 84);
  assert_string_equal(t.t[0].id, "task0-trial0");
  assert_string_equal(t.t[0].task, "0");
  assert_string_equal(t.t[0].request,
                      "Hi! I'm looking to book a flight from New York to Seattle on May 20th.");
  /* the first tool call: get_user_details {"user_id": "mia_li_3668"}, after two replies */
  assert_string_equal(t.t[0].steps[2].action, "get_user_details");
  assert_string_equal(t.t[0].steps[2].arguments, "{\"user_id\":\"mia_li_3668\"}");
  /* a reply's observation is the user's next message */
  assert_string_equal(t.t[0].steps[0].observation, "Sure, my user ID is mia_li_3668.");
  const mimic_agent_example *e = &ex.ex[3]; /* the state before trace 0's 4th move */
  assert_int_equal(e->state.n_previous, 3);
  assert_string_equal(e->state.previous[2], "get_user_details");
  assert_ptr_equal(e->state.last_observation, t.t[0].steps[2].observation);
  assert_int_equal(e->group, 0);
  /* split by task: the 4 runs of a task fall on one side; 15 of 50 tasks held out */
  bool test[200];
  size_t groups;
  assert_int_equal(mimic_agent_split(&t, MIMIC_AGENT_SPLIT_TASK, 0.3, 7, test, &groups), MIMIC_OK);
  assert_int_equal(groups, 15);
  size_t n_test = 0;
  for (size_t i = 0; i < t.n; i++) {
    n_test += test[i];
    for (size_t j = 0; j < t.n; j++)
      if (!strcmp(t.t[i].task, t.t[j].task)) assert_int_equal(test[i], test[j]);
  }
  assert_int_equal(n_test, 60);
  bool test2[200];
  assert_int_equal(mimic_agent_split(&t, MIMIC_AGENT_SPLIT_TASK, 0.3, 7, test2, NULL), MIMIC_OK);
  assert_memory_equal(test, test2, sizeof test); /* same seed, same split */
  mimic_agent_examples_free(&ex);
  mimic_agent_traces_free(&t);
}

/* FireAct: 500 ReAct transcripts, 885 search and 500 finish actions. */
static void test_fireact(void **state) {
  (void)state;
  mimic_agent_traces t;
  assert_int_equal(
      mimic_agent_traces_read(data_path("fireact/hotpotqa.jsonl"), MIMIC_AGENT_FORMAT_AUTO, &t),
      MIMIC_OK);
  assert_int_equal(t.n, 500);
  assert_int_equal(t.n_problems, 0);
  assert_int_equal(count_action(&t, "search"), 885);
  assert_int_equal(count_action(&t, "finish"), 500);
  assert_int_equal(count_action(&t, MIMIC_AGENT_REPLY), 0);
  const mimic_agent_step *s = &t.t[0].steps[0];
  const char *thought = "Thought: I need to search for the best kick boxer in the "
                        "world who has been involved in unsportsmanlike conducts and "
                        "crimes of violence outside of the ring.";
  assert_string_equal(s->thought, thought + strlen("Thought: "));
  assert_string_equal(s->arguments,
                      "{\"input\":\"best kick boxer in the world unsportsmanlike conducts crimes "
                      "of violence\"}");
  assert_true(!strncmp(s->observation, "Badr Hari (born 8 December 1984)", 32));
  assert_string_equal(t.t[0].steps[1].arguments, "{\"input\":\"Badr Hari\"}");
  assert_true(t.t[0].reward == 1.0);
  assert_string_equal(t.t[0].outcome, "success");
  assert_string_equal(t.t[0].id, "hotpotqa.jsonl:1");
  mimic_agent_traces_free(&t);
}

/* ReAct with JSON arguments, in the forms agents write them. */
static void test_react_json(void **state) {
  (void)state;
  const char *text =
      "{\"messages\": [{\"role\": \"user\", \"content\": \"Book a table for two at 7pm\"}, "
      "{\"role\": \"assistant\", \"content\": \"Thought: find a restaurant\\nAction: "
      "search_restaurants {\\\"party\\\": 2, \\\"time\\\": \\\"19:00\\\"}\"}, "
      "{\"role\": \"user\", \"content\": \"Observation: [{\\\"id\\\": \\\"r1\\\"}]\"}, "
      "{\"role\": \"assistant\", \"content\": \"Thought: book it\\nAction: book\\nAction Input: "
      "{\\\"restaurant\\\": \\\"r1\\\", \\\"party\\\": 2}\"}, "
      "{\"role\": \"user\", \"content\": \"Observation: booked\"}, "
      "{\"role\": \"assistant\", \"content\": \"Thought: done\\nFinal Answer: Booked r1 at "
      "7pm.\"}]}\n"
      "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
      "{\"role\": \"assistant\", \"content\": \"Action: lookup[{\\\"q\\\": \\\"x\\\"}]\"}]}\n"
      "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
      "{\"role\": \"assistant\", \"content\": \"Action: lookup {not json}\"}]}\n";
  mimic_agent_traces t;
  assert_int_equal(
      mimic_agent_traces_parse(text, strlen(text), "react.jsonl", MIMIC_AGENT_FORMAT_AUTO, &t),
      MIMIC_OK);
  assert_int_equal(t.n, 2);
  assert_int_equal(t.n_problems, 1);
  assert_int_equal(t.problems[0].line, 3);
  assert_string_equal(t.problems[0].field, "messages[1].Action.arguments");
  assert_non_null(strstr(t.problems[0].message, "not valid JSON"));
  const mimic_agent_trace *a = &t.t[0];
  assert_string_equal(a->request, "Book a table for two at 7pm");
  assert_int_equal(a->n_steps, 3);
  assert_string_equal(a->steps[0].action, "search_restaurants");
  assert_string_equal(a->steps[0].arguments, "{\"party\":2,\"time\":\"19:00\"}");
  assert_string_equal(a->steps[0].thought, "find a restaurant");
  assert_string_equal(a->steps[0].observation, "[{\"id\": \"r1\"}]");
  assert_string_equal(a->steps[1].action, "book");
  assert_string_equal(a->steps[1].arguments, "{\"party\":2,\"restaurant\":\"r1\"}");
  assert_string_equal(a->steps[2].action, MIMIC_AGENT_REPLY);
  assert_string_equal(a->steps[2].reply, "Booked r1 at 7pm.");
  assert_string_equal(t.t[1].steps[0].arguments, "{\"q\":\"x\"}");
  mimic_agent_traces_free(&t);
  /* the same text read as plain ReAct keeps the argument as text */
  assert_int_equal(
      mimic_agent_traces_parse(text, strlen(text), "react.jsonl", MIMIC_AGENT_FORMAT_REACT, &t),
      MIMIC_OK);
  assert_int_equal(t.n, 3);
  assert_string_equal(t.t[2].steps[0].arguments, "{\"input\":\"{not json}\"}");
  mimic_agent_traces_free(&t);
}

/* Malformed lines of mimic's format: each reported with line and field; the rest load. */
static void test_malformed_mimic(void **state) {
  (void)state;
  const char *text =
      "{\"id\": \"a\", \"intent\": \"x\", \"request\": \"r\", \"steps\": [{\"action\": {\"tool\": "
      "\"t1\", \"arguments\": {\"k\": 1}}, \"observation\": \"o\"}, {\"action\": {\"reply\": "
      "\"done\"}}]}\n"
      "{\"id\": \"b\", \"request\": \"r\", \"steps\": [{\"action\": {\"tool\": \"t1\"}}, "
      "{\"observation\": \"no action\"}]}\n"
      "this is not json\n"
      "\n"
      "{\"id\": \"c\", \"request\": \"r\", \"steps\": [{\"action\": {\"tool\": \"reply\"}}]}\n"
      "{\"id\": \"d\", \"request\": \"r\", \"steps\": [{\"action\": {\"tool\": \"t\", "
      "\"arguments\": [1]}}]}\n"
      "{\"id\": \"e\", \"steps\": []}\n"
      "{\"id\": \"a\", \"request\": \"again\", \"steps\": []}\n"
      "{\"id\": \"f\", \"request\": \"r\", \"reward\": \"high\", \"steps\": []}\n"
      "{\"id\": \"g\", \"request\": \"r\", \"steps\": [{\"action\": {\"tool\": \"t2\", \"reply\": "
      "\"both\"}}]}\n"
      "{\"id\": \"h\", \"request\": \"ok\", \"steps\": [{\"action\": {\"tool\": \"t2\"}, "
      "\"observation\": \"fine\"}]}\n";
  char *path = tu_tmp_path("bad.jsonl");
  write_text(path, text);
  mimic_agent_traces t;
  assert_int_equal(mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &t), MIMIC_OK);
  assert_int_equal(t.n, 2); /* a and h */
  assert_string_equal(t.t[0].id, "a");
  assert_string_equal(t.t[1].id, "h");
  assert_int_equal(t.t[1].line, 11);
  assert_string_equal(t.t[1].steps[0].arguments, "{}");
  assert_int_equal(t.n_problems, 8);
  const mimic_agent_problem *p;
  assert_non_null(p = problem_on(&t, 2));
  assert_string_equal(p->field, "steps[1].action");
  assert_non_null(p = problem_on(&t, 3));
  assert_non_null(strstr(p->message, "not valid JSON"));
  assert_non_null(p = problem_on(&t, 5));
  assert_string_equal(p->field, "steps[0].action.tool");
  assert_non_null(p = problem_on(&t, 6));
  assert_string_equal(p->field, "steps[0].action.arguments");
  assert_non_null(p = problem_on(&t, 7));
  assert_string_equal(p->field, "request");
  assert_non_null(p = problem_on(&t, 8));
  assert_string_equal(p->field, "id");
  assert_non_null(strstr(p->message, "line 1"));
  assert_non_null(p = problem_on(&t, 9));
  assert_string_equal(p->field, "reward");
  assert_non_null(p = problem_on(&t, 10));
  assert_string_equal(p->field, "steps[0].action");
  assert_null(problem_on(&t, 4));
  mimic_agent_traces_free(&t);
  /* a file of nothing but bad records is an error that names the first */
  write_text(path, "{\"id\": 1}\n[1, 2\n");
  assert_int_equal(mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_MIMIC, &t), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "line 1: request: missing"));
  free(path);
}

/* Malformed chat transcripts: bad tool-call arguments, unknown tool_call_id. */
static void test_malformed_openai(void **state) {
  (void)state;
  const char *text =
      "[{\"task_id\": 3, \"trial\": 0, \"reward\": 1.0, \"traj\": ["
      "{\"role\": \"system\", \"content\": \"policy\"},"
      "{\"role\": \"user\", \"content\": \"cancel ABC123\"},"
      "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"c1\", \"type\": "
      "\"function\", \"function\": {\"name\": \"cancel\", \"arguments\": "
      "\"{\\\"reservation_id\\\": \\\"ABC123\\\"}\"}}]},"
      "{\"role\": \"tool\", \"tool_call_id\": \"c1\", \"name\": \"cancel\", \"content\": \"ok\"},"
      "{\"role\": \"assistant\", \"content\": \"Cancelled.\"}]},"
      "{\"task_id\": 4, \"trial\": 0, \"traj\": ["
      "{\"role\": \"user\", \"content\": \"hi\"},"
      "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"c2\", "
      "\"function\": {\"name\": \"f\", \"arguments\": \"{broken\"}}]}]},"
      "{\"task_id\": 5, \"trial\": 0, \"traj\": ["
      "{\"role\": \"user\", \"content\": \"hi\"},"
      "{\"role\": \"tool\", \"tool_call_id\": \"zz\", \"content\": \"x\"}]},"
      "{\"task_id\": 6, \"trial\": 1, \"traj\": [{\"role\": \"wizard\", \"content\": \"?\"}]}]";
  mimic_agent_traces t;
  assert_int_equal(
      mimic_agent_traces_parse(text, strlen(text), "runs.json", MIMIC_AGENT_FORMAT_AUTO, &t),
      MIMIC_OK);
  assert_int_equal(t.n, 1);
  assert_string_equal(t.t[0].id, "task3-trial0");
  assert_int_equal(t.t[0].n_steps, 2);
  assert_string_equal(t.t[0].steps[0].arguments, "{\"reservation_id\":\"ABC123\"}");
  assert_string_equal(t.t[0].steps[0].observation, "ok");
  assert_int_equal(t.n_problems, 3);
  assert_int_equal(t.problems[0].record, 1);
  assert_int_equal(t.problems[0].line, 0);
  assert_string_equal(t.problems[0].field, "[1].traj[1].tool_calls[0].function.arguments");
  assert_string_equal(t.problems[1].field, "[2].traj[1].tool_call_id");
  assert_non_null(strstr(t.problems[1].message, "'zz'"));
  assert_string_equal(t.problems[2].field, "[3].traj[0].role");
  mimic_agent_traces_free(&t);
}

/* mimic's format survives a write and a read unchanged. */
static void test_round_trip(void **state) {
  (void)state;
  mimic_agent_traces t, u;
  assert_int_equal(mimic_agent_traces_read(data_path("tau-bench/gpt-4o-airline.json"),
                                           MIMIC_AGENT_FORMAT_AUTO, &t),
                   MIMIC_OK);
  char *path = tu_tmp_path("tau.jsonl");
  assert_int_equal(mimic_agent_traces_write(path, &t), MIMIC_OK);
  assert_int_equal(mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &u), MIMIC_OK);
  assert_int_equal(u.n, t.n);
  assert_int_equal(u.n_problems, 0);
  for (size_t i = 0; i < t.n; i++) {
    json_t *a = mimic_agent_trace_to_json(&t.t[i]), *b = mimic_agent_trace_to_json(&u.t[i]);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
  }
  mimic_agent_traces_free(&t);
  mimic_agent_traces_free(&u);
  free(path);
}

/* States: JSON in and out; action objects carry their content; wrong types are errors. */
static void test_states(void **state) {
  (void)state;
  json_t *j = json_loads("{\"intent\": \"refund\", \"request\": \"money back\", "
                         "\"previous_actions\": [\"search_orders\", {\"tool\": \"get\", "
                         "\"arguments\": {\"b\": 1, \"a\": 2}}, {\"reply\": \"Which order?\"}], "
                         "\"observations\": [\"o1\", {\"x\": 1}, \"D3300\"], \"extra\": 5}",
                         0, NULL);
  mimic_agent_state_buf sb;
  assert_int_equal(mimic_agent_state_from_json(j, &sb), MIMIC_OK);
  json_decref(j);
  const mimic_agent_state *s = &sb.s;
  assert_string_equal(s->intent, "refund");
  assert_int_equal(s->n_previous, 3);
  assert_string_equal(s->previous[1], "get");
  assert_string_equal(s->previous[2], MIMIC_AGENT_REPLY);
  assert_non_null(s->previous_content);
  assert_null(s->previous_content[0]);
  assert_string_equal(s->previous_content[1], "{\"a\":2,\"b\":1}");
  assert_string_equal(s->previous_content[2], "Which order?");
  assert_int_equal(s->n_observations, 3);
  assert_string_equal(s->observations[1], "{\"x\":1}");
  assert_string_equal(s->last_observation, "D3300");
  json_t *back = mimic_agent_state_to_json(s);
  assert_string_equal(json_string_value(json_object_get(back, "last_observation")), "D3300");
  assert_int_equal(json_array_size(json_object_get(back, "previous_actions")), 3);
  json_decref(back);
  mimic_agent_state_buf_free(&sb);
  const char *bad[] = {"{\"request\": 5}",
                       "{\"previous_actions\": \"a\"}",
                       "{\"previous_actions\": [3]}",
                       "{\"previous_actions\": [{\"x\": 1}]}",
                       "[1]",
                       "{\"intent\": []}"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    j = json_loads(bad[i], 0, NULL);
    assert_int_equal(mimic_agent_state_from_json(j, &sb), MIMIC_ERR_FORMAT);
    json_decref(j);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tau_bench),        cmocka_unit_test(test_fireact),
      cmocka_unit_test(test_react_json),       cmocka_unit_test(test_malformed_mimic),
      cmocka_unit_test(test_malformed_openai), cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_states),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

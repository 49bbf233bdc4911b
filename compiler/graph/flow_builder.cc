// Journey AST -> nodes and edges (flow_graph.h). The steps are walked in
// order, carrying the "open ends" of the flow so far: edges that leave a
// node but have no target yet. The next node drawn becomes their target,
// which is how a branch that does not end joins the step after it.

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/graph/flow_graph.h"

namespace tutti::compiler::internal {
namespace {

// Lines longer than this many characters are wrapped at a space.
constexpr size_t kLineWidth = 40;

// The text as valid UTF-8 on one line: invalid bytes become U+FFFD and
// control characters (newlines included) become spaces.
std::string CleanText(std::string_view text) {
  std::string out;
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  auto continuation = [&](size_t k, unsigned char lo, unsigned char hi) {
    return k < text.size() && byte(k) >= lo && byte(k) <= hi;
  };
  while (i < text.size()) {
    unsigned char c = byte(i);
    size_t length = 0;
    if (c < 0x80) length = 1;
    else if (c >= 0xC2 && c <= 0xDF) length = continuation(i + 1, 0x80, 0xBF) ? 2 : 0;
    else if (c >= 0xE0 && c <= 0xEF) {
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      length = continuation(i + 1, lo, hi) && continuation(i + 2, 0x80, 0xBF) ? 3 : 0;
    } else if (c >= 0xF0 && c <= 0xF4) {
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      length = continuation(i + 1, lo, hi) && continuation(i + 2, 0x80, 0xBF) &&
                       continuation(i + 3, 0x80, 0xBF)
                   ? 4
                   : 0;
    }
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else if (length == 1 && (c < 0x20 || c == 0x7F)) {
      out += ' ';
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

size_t CharCount(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Appends `line` to `out`, wrapped at spaces to kLineWidth characters; a
// word longer than that stays whole.
void AppendWrapped(std::string_view line, std::string& out) {
  std::string current;
  auto flush = [&] {
    if (!out.empty()) out += '\n';
    out += current;
    current.clear();
  };
  for (size_t start = 0; start <= line.size();) {
    size_t space = std::min(line.find(' ', start), line.size());
    std::string_view word = line.substr(start, space - start);
    if (!current.empty() && CharCount(current) + 1 + CharCount(word) > kLineWidth) flush();
    if (!current.empty()) current += ' ';
    current.append(word);
    start = space + 1;
  }
  if (!current.empty()) flush();
}

// A label from lines of raw text: each cleaned, trimmed and wrapped; blank
// lines are left out.
std::string Label(std::initializer_list<std::string> lines) {
  std::string out;
  for (const std::string& line : lines) {
    std::string clean = CleanText(line);
    size_t first = clean.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    size_t last = clean.find_last_not_of(' ');
    AppendWrapped(std::string_view(clean).substr(first, last - first + 1), out);
  }
  return out;
}

// Durations read as in the source (`7d`, `1h30m`): the expression printer
// writes duration literals.
std::string DurationText(const ast::DurationLiteral& d) {
  if (!d.valid) return "?";
  ast::Expr literal;
  literal.literal = d.value;
  return ast::ToSource(literal);
}

std::string TimeText(const ast::TimeOfDay& t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", t.hour, t.minute);
  return buf;
}

std::string Quoted(const ast::Message& m) { return "\"" + m.Display() + "\""; }

std::string Where(const ast::ExprPtr& cond) {
  return cond ? "where " + ast::ToSource(*cond) : "";
}

// `EVENT [as b]`, the first line of a trigger, wait or criterion.
std::string EventText(const ast::EventPattern& p) {
  return p.binding ? p.event.text + " as " + p.binding->text : p.event.text;
}

class FlowBuilder {
 public:
  FlowBuilder(int* next_id, JourneyFlow& flow) : next_id_(*next_id), flow_(flow) {}

  void Build(const ast::JourneyDecl& journey) {
    Ends open;
    if (journey.triggers.empty()) {
      open.push_back({AddNode(FlowNodeKind::kEntry, Label({"entered by start"}))});
    }
    for (const ast::EventPattern& trigger : journey.triggers) {
      std::string id = AddNode(FlowNodeKind::kEntry,
                               Label({"on " + EventText(trigger), Where(trigger.cond)}));
      open.push_back({id});
    }
    for (const ast::Audience& audience : journey.audiences) {
      std::string id = AddNode(FlowNodeKind::kAudience,
                               Label({"audience " + audience.profile.text, Where(audience.cond)}));
      Connect(open, id);
      open = {{id}};
    }
    open = Block(journey.steps, std::move(open));
    AddCriteria(journey.exits);
    for (OpenEnd& end : open) to_end_.push_back(std::move(end));
    Connect(to_end_, AddNode(FlowNodeKind::kTerminal, "end"));
  }

 private:
  // An edge that leaves `from` and awaits its target: the next node drawn.
  struct OpenEnd {
    OpenEnd(std::string from_id, std::string edge_label = "", bool is_dashed = false, int way = -1)
        : from(std::move(from_id)), label(std::move(edge_label)), dashed(is_dashed), arm(way) {}
    std::string from;
    std::string label;
    bool dashed;
    int arm;  // FlowEdge::arm
  };
  using Ends = std::vector<OpenEnd>;

  std::string AddNode(FlowNodeKind kind, std::string label) {
    std::string id = "n" + std::to_string(next_id_++);
    flow_.nodes.push_back({id, kind, std::move(label)});
    return id;
  }

  void Connect(const Ends& ends, const std::string& to) {
    for (const OpenEnd& end : ends) flow_.edges.push_back({end.from, to, end.label, end.dashed, end.arm});
  }

  // A node that `open` leads into and that continues to the next step.
  Ends Simple(FlowNodeKind kind, std::string label, const Ends& open) {
    std::string id = AddNode(kind, std::move(label));
    Connect(open, id);
    return {{id}};
  }

  // A decision node that `open` leads into; its arms leave it.
  std::string Decision(std::string label, const Ends& open) {
    std::string id = AddNode(FlowNodeKind::kDecision, std::move(label));
    Connect(open, id);
    return id;
  }

  // The open ends after `block`, entered through `open`. An empty block
  // passes them on unchanged.
  Ends Block(const ast::Block& block, Ends open) {
    for (const auto& step : block.steps) open = Step(*step, std::move(open));
    return open;
  }

  // `body` entered by one labelled edge out of `from`.
  Ends Arm(const std::string& from, std::string label, const ast::Block& body, int arm,
           bool dashed = false) {
    return Block(body, {{from, CleanLabel(label), dashed, arm}});
  }

  static std::string CleanLabel(const std::string& text) { return Label({text}); }

  // The step's nodes; the first one drawn is the step's own.
  Ends Step(const ast::Step& step, Ends open) {
    size_t first = flow_.nodes.size();
    Ends out = StepNodes(step, std::move(open));
    if (flow_.nodes.size() > first) flow_.nodes[first].step = &step;
    return out;
  }

  Ends StepNodes(const ast::Step& step, Ends open) {
    switch (step.kind) {
      case ast::StepKind::kSend: {
        const auto& s = step.As<ast::SendStep>();
        std::string to = s.recipient ? "to " + ast::ToSource(*s.recipient) : "";
        return Simple(FlowNodeKind::kAction,
                      Label({"send " + s.channel.text, Quoted(s.message), to}), open);
      }
      case ast::StepKind::kTask:
        return Simple(FlowNodeKind::kAction, TaskLabel(step.As<ast::TaskStep>()), open);
      case ast::StepKind::kWaitDuration:
        return Simple(FlowNodeKind::kWait,
                      Label({"wait " + DurationText(step.As<ast::WaitDurationStep>().duration)}),
                      open);
      case ast::StepKind::kWaitTimeOfDay: {
        const auto& s = step.As<ast::WaitTimeOfDayStep>();
        return Simple(FlowNodeKind::kWait,
                      Label({"wait until " + TimeText(s.time) + (s.local ? " local" : "")}), open);
      }
      case ast::StepKind::kWaitUntil: {
        const auto& s = step.As<ast::WaitUntilStep>();
        return Simple(FlowNodeKind::kWait,
                      Label({"wait until " + (s.at ? ast::ToSource(*s.at) : "?")}), open);
      }
      case ast::StepKind::kWaitEvent:
        return WaitEvent(step.As<ast::WaitEventStep>(), open);
      case ast::StepKind::kIf:
        return If(step.As<ast::IfStep>(), open);
      case ast::StepKind::kChoose:
        return Choose(step.As<ast::ChooseStep>(), open);
      case ast::StepKind::kChooseBest:
        return ChooseBest(step.As<ast::ChooseBestStep>(), open);
      case ast::StepKind::kSplit:
        return Split(step.As<ast::SplitStep>(), open);
      case ast::StepKind::kStart:
        return Simple(FlowNodeKind::kAction,
                      Label({"start " + step.As<ast::StartStep>().journey.text}), open);
      case ast::StepKind::kEmit:
        return Simple(FlowNodeKind::kAction,
                      Label({"emit " + step.As<ast::EmitStep>().event.text}), open);
      case ast::StepKind::kLet: {
        const auto& s = step.As<ast::LetStep>();
        return Simple(FlowNodeKind::kAction, Label({"let " + s.name.text + " = " + Source(s.value)}),
                      open);
      }
      case ast::StepKind::kSet: {
        const auto& s = step.As<ast::SetStep>();
        return Simple(FlowNodeKind::kAction, Label({"set " + s.name.text + " = " + Source(s.value)}),
                      open);
      }
      case ast::StepKind::kEnd:
        for (OpenEnd& end : open) to_end_.push_back(std::move(end));
        return {};
    }
    return open;
  }

  static std::string Source(const ast::ExprPtr& e) { return e ? ast::ToSource(*e) : "?"; }

  // task|notify ASSIGNEE "text" [via CHANNEL] [due D]
  static std::string TaskLabel(const ast::TaskStep& s) {
    std::string who = s.notify ? "notify " : "task ";
    if (s.route_profile) {
      who += s.route_profile->text + " " + Where(s.route_cond);
      if (s.route_score) who += " best by " + ast::ToSource(*s.route_score);
    } else {
      who += Source(s.assignee);
    }
    return Label({who, Quoted(s.message), s.channel ? "via " + s.channel->text : "",
                  s.due ? "due " + DurationText(*s.due) : ""});
  }

  // wait up to D for PATTERN [then {...}] [timeout {...}]
  Ends WaitEvent(const ast::WaitEventStep& s, const Ends& open) {
    std::string limit = DurationText(s.limit);
    std::string id = AddNode(FlowNodeKind::kWait,
                             Label({"wait up to " + limit + " for " + EventText(s.pattern),
                                    Where(s.pattern.cond)}));
    Connect(open, id);
    static const ast::Block kEmpty;
    Ends out = Arm(id, s.pattern.event.text, s.then ? *s.then : kEmpty, 0);
    Ends timeout = Arm(id, "timeout after " + limit, s.timeout ? *s.timeout : kEmpty, 1,
                       /*dashed=*/true);
    out.insert(out.end(), timeout.begin(), timeout.end());
    return out;
  }

  // if C {...} else if C {...} else {...}: without an else, the "else"
  // edge goes on to the next step.
  Ends If(const ast::IfStep& s, const Ends& open) {
    std::string id = Decision("if", open);
    Ends out;
    for (size_t i = 0; i < s.branches.size(); ++i) {
      std::string cond = Source(s.branches[i].cond);
      Append(out, Arm(id, i == 0 ? cond : "else if " + cond, s.branches[i].body, static_cast<int>(i)));
    }
    Append(out, Otherwise(id, "else", s.otherwise, static_cast<int>(s.branches.size())));
    return out;
  }

  // choose { when C -> ... otherwise -> ... }
  Ends Choose(const ast::ChooseStep& s, const Ends& open) {
    std::string id = Decision("choose", open);
    Ends out;
    for (size_t i = 0; i < s.arms.size(); ++i)
      Append(out, Arm(id, "when " + Source(s.arms[i].cond), s.arms[i].body, static_cast<int>(i)));
    Append(out, Otherwise(id, "otherwise", s.otherwise, static_cast<int>(s.arms.size())));
    return out;
  }

  // choose best by SCORE { option -> ... }
  Ends ChooseBest(const ast::ChooseBestStep& s, const Ends& open) {
    std::string id = Decision(Label({"choose best by", Source(s.score)}), open);
    Ends out;
    for (size_t i = 0; i < s.arms.size(); ++i)
      Append(out, Arm(id, s.arms[i].option.text, s.arms[i].body, static_cast<int>(i)));
    if (s.otherwise)
      Append(out, Otherwise(id, "otherwise (every score below 0)", s.otherwise, static_cast<int>(s.arms.size())));
    return out;
  }

  // split { 50% a -> ... }
  Ends Split(const ast::SplitStep& s, const Ends& open) {
    std::string id = Decision("split", open);
    Ends out;
    for (size_t i = 0; i < s.arms.size(); ++i) {
      const ast::SplitArm& arm = s.arms[i];
      Append(out, Arm(id, std::to_string(arm.percent) + "% " + arm.label.text, arm.body, static_cast<int>(i)));
    }
    return out;
  }

  // The fallback arm of an if or choose: its block, or straight on.
  Ends Otherwise(const std::string& from, const char* label,
                 const std::optional<ast::Block>& body, int arm) {
    if (body) return Arm(from, label, *body, arm);
    return {{from, label, false, arm}};
  }

  static void Append(Ends& to, Ends more) {
    for (OpenEnd& end : more) to.push_back(std::move(end));
  }

  // exit when PATTERN / goal when PATTERN: each a node leading to "exit".
  void AddCriteria(const std::vector<ast::ExitCriterion>& exits) {
    if (exits.empty()) return;
    Ends criteria;
    for (const ast::ExitCriterion& c : exits) {
      std::string when = (c.goal ? "goal when " : "exit when ") + EventText(c.pattern);
      criteria.push_back({AddNode(FlowNodeKind::kCriterion, Label({when, Where(c.pattern.cond)}))});
    }
    Connect(criteria, AddNode(FlowNodeKind::kTerminal, "exit"));
  }

  int& next_id_;
  JourneyFlow& flow_;
  Ends to_end_;  // open ends that `end` steps lead into the "end" node
};

}  // namespace

JourneyFlow BuildJourneyFlow(const ast::JourneyDecl& journey, int* next_id) {
  JourneyFlow flow;
  flow.caption = Label({"journey " + journey.name.text, journey.title});
  FlowBuilder(next_id, flow).Build(journey);
  return flow;
}

}  // namespace tutti::compiler::internal

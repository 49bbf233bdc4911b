// tutti preview TEMPLATE [--journeys DIR] [--profile FILE | --customer ID --profiles FILE]
//                [--with JSON] [--locale TAG] [--format text|html] [--stdlib DIR]

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "compiler/eval/evaluator.h"
#include "runtime/engine/journey_set.h"
#include "runtime/engine/render.h"
#include "runtime/records/decoder.h"
#include "runtime/records/json_input.h"

namespace tutti::cli {
namespace {

namespace ast = compiler::ast;
using compiler::eval::Activation;
using compiler::eval::Value;
using compiler::eval::ValueKind;

constexpr const char* kPreviewUsage =
    "usage: tutti preview TEMPLATE [--journeys DIR] [--profile FILE | --customer ID --profiles FILE]\n"
    "                     [--with JSON] [--locale TAG] [--format text|html] [--stdlib DIR]\n"
    "  Renders a declared template for one customer, as the engine would at a\n"
    "  send, and shows what each hole became.\n"
    "  --journeys DIR  where the templates are declared (default: journeys/ if it\n"
    "                  exists, else the current folder)\n"
    "  --profile FILE  the customer: one JSON object of the channel's profile (fields left\n"
    "                  out take their zero values)\n"
    "  --customer ID --profiles FILE   the customer with key ID in an NDJSON file\n"
    "  --with JSON     values of the send's 'with' fields, {\"venue\": \"Hilton\"};\n"
    "                  fields a send computes from the customer are computed\n"
    "  --locale TAG    the locale to render (default: the customer's 'locale')\n"
    "  --format        text (subject, text body and holes; the default) or html\n"
    "                  (the HTML body alone, or the text when there is none)\n"
    "  A hole with no value (a name only a journey's event gives) is shown as\n"
    "  «hole» and listed. Exit status: 0 rendered, 1 the journeys do not check,\n"
    "  the template or customer is unknown or a file cannot be read, 2 usage error.\n";

Value FromJson(const nlohmann::json& j) {
  if (j.is_string()) return Value(j.get<std::string>());
  if (j.is_boolean()) return Value(j.get<bool>());
  if (j.is_number_integer()) return Value(j.get<int64_t>());
  if (j.is_number()) return Value(j.get<double>());
  return Value(j.dump());
}

/// A profile is one JSON object: at most this many bytes are read.
constexpr size_t kMaxProfileBytes = 1u << 20;

/// The file's bytes, read no further than kMaxProfileBytes + 1 (so that a
/// larger file is told apart without being held); nullopt if unreadable.
std::optional<std::string> ReadBounded(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kMaxProfileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

/// The sends of template `id` in the program's journeys, first found first.
std::vector<const ast::SendStep*> SendsOf(const compiler::ir::Program& ir, const std::string& id) {
  std::vector<const ast::SendStep*> out;
  for (const auto& j : ir.journeys)
    for (const auto& s : j.steps)
      if (s.content != nullptr && s.content->id == id) out.push_back(&s.source->As<ast::SendStep>());
  return out;
}

}  // namespace

int RunPreview(const std::vector<std::string>& raw_args) {
  std::string journeys, profile_path, customer, profiles_path, with_text, locale_flag, format = "text", stdlib_flag;
  std::vector<std::string> positional;
  if (auto stop = ParseOptions(raw_args,
                               {{"--journeys", &journeys}, {"--profile", &profile_path}, {"--customer", &customer},
                                {"--profiles", &profiles_path}, {"--with", &with_text}, {"--locale", &locale_flag},
                                {"--format", &format}, {"--stdlib", &stdlib_flag}},
                               kPreviewUsage, &positional))
    return *stop;
  if (positional.size() != 1) return UsageError("name one template to preview", kPreviewUsage);
  if (format != "text" && format != "html") return UsageError("--format must be text or html", kPreviewUsage);
  if (!profile_path.empty() && !customer.empty()) return UsageError("give --profile or --customer, not both", kPreviewUsage);
  if (customer.empty() != profiles_path.empty()) return UsageError("--customer and --profiles go together", kPreviewUsage);
  std::error_code ec;
  if (journeys.empty()) journeys = std::filesystem::is_directory("journeys", ec) ? "journeys" : ".";
  const std::string& id = positional[0];

  compiler::DiagnosticSink sink;
  auto set = runtime::JourneySet::Load({journeys}, StdlibDir(stdlib_flag), sink);
  if (set == nullptr) {
    std::fputs(compiler::RenderText(sink.Sorted()).c_str(), stderr);
    std::fprintf(stderr, "tutti: the journeys in %s do not check; nothing to preview\n", journeys.c_str());
    return 1;
  }
  const compiler::ir::Program& ir = set->ir();
  auto found = ir.templates.find(id);
  if (found == ir.templates.end()) {
    std::fprintf(stderr, "tutti: no template \"%s\" is declared in %s\n", id.c_str(), journeys.c_str());
    return 1;
  }
  const compiler::ir::Template& tmpl = found->second;
  auto channel = ir.channels.find(tmpl.channel);
  std::string profile = channel == ir.channels.end() ? "" : channel->second.recipient;

  // The customer.
  std::optional<Value> record;
  std::string locale = locale_flag;
  auto take = [&](const runtime::Record& r) {
    record = runtime::RecordValue(r);
    if (const Value* l = r.Get("locale"); l != nullptr && l->is(ValueKind::kString) && locale_flag.empty()) locale = l->AsString();
  };
  runtime::DecodeOptions options;
  options.accept = runtime::Accept::kProfiles;
  if (!profile_path.empty()) {
    std::optional<std::string> text = ReadBounded(profile_path);
    if (text && text->size() > kMaxProfileBytes) {
      std::fprintf(stderr, "tutti: %s: larger than 1 MiB; a profile is one JSON object\n", profile_path.c_str());
      return 1;
    }
    auto parsed = text ? runtime::ParseJsonInput(*text) : Result<nlohmann::json>(Status::Invalid("unreadable"));
    if (!parsed.ok() || !parsed->is_object()) {
      std::fprintf(stderr, "tutti: %s: expected one JSON object, a %s profile\n", profile_path.c_str(), profile.c_str());
      return 1;
    }
    if (!parsed->contains("type")) (*parsed)["type"] = profile;
    // Like a journey test's profile, the file names only the fields that
    // matter; the others take their zero values.
    if (const nlohmann::json& type = (*parsed)["type"]; type.is_string())
      if (const runtime::Schema* schema = set->schemas().FindProfile(type.get<std::string>()))
        runtime::FillLeftOutFields(*schema, *parsed, "1970-01-01T00:00:00Z");
    runtime::DecodeResult r = runtime::DecodeLine(set->schemas(), parsed->dump(), 1, options);
    if (!r.ok()) {
      std::fprintf(stderr, "tutti: %s: %s\n", profile_path.c_str(), r.blank() ? "empty" : r.error().message.c_str());
      return 1;
    }
    take(r.record());
  } else if (!customer.empty()) {
    runtime::DecodedFile file = runtime::DecodeFile(set->schemas(), profiles_path, options);
    if (!file.read.ok()) {
      std::fprintf(stderr, "tutti: %s: %s\n", profiles_path.c_str(), file.read.message().c_str());
      return 1;
    }
    for (const runtime::Record& r : file.records)
      if (r.type() == profile && r.key.is(ValueKind::kString) && r.key.AsString() == customer) take(r);
    if (!record) {
      std::fprintf(stderr, "tutti: no %s profile with key \"%s\" in %s\n", profile.c_str(), customer.c_str(), profiles_path.c_str());
      return 1;
    }
  }

  // What the holes see: the customer, then the `with` fields.
  Activation act;
  if (record) act.Bind(profile, *record);
  std::map<std::string, std::string> with_from;  // field -> where its value came from
  if (!with_text.empty()) {
    auto parsed = runtime::ParseJsonInput(with_text);
    if (!parsed.ok() || !parsed->is_object()) return UsageError("--with must be a JSON object, {\"venue\": \"Hilton\"}", kPreviewUsage);
    for (const auto& [k, v] : parsed->items()) {
      act.BindCopy(k, FromJson(v));  // the parsed object ends with this block
      with_from[k] = "--with";
    }
  }
  // A send's `with` fields that need only the customer are computed.
  for (const ast::SendStep* send : SendsOf(ir, id))
    for (const ast::FieldInit& f : send->vars) {
      if (with_from.count(f.name.text)) continue;
      Value v = compiler::eval::Evaluate(*f.value, act, set->functions());
      if (v.IsError()) continue;
      act.Bind(f.name.text, v);
      with_from[f.name.text] = "with " + f.name.text + ": " + ast::ToSource(*f.value);
    }

  std::vector<std::string> missing;
  std::vector<runtime::RenderedHole> holes;
  auto rendered = runtime::RenderTemplate(*tmpl.decl, locale, [&](const ast::Expr& e) {
    Value v = compiler::eval::Evaluate(e, act, set->functions());
    if (!v.IsError()) return v;
    missing.push_back(ast::ToSource(e));
    return Value("«" + ast::ToSource(e) + "»");
  }, &holes);
  if (!rendered.ok()) {
    std::fprintf(stderr, "tutti: %s\n", rendered.status().message().c_str());
    return 1;
  }
  if (format == "html") {
    std::fputs((rendered->html.empty() ? rendered->text : rendered->html).c_str(), stdout);
    return 0;
  }
  std::string out = "template \"" + id + "\" for " + tmpl.channel + " (" + tmpl.at + ")\n";
  out += tmpl.approval.empty() ? "approval: none\n" : "approval: " + tmpl.approved_text + "\n";
  out += "locale: " + (rendered->locale.empty() ? std::string("default") : rendered->locale) +
         (locale.empty() ? "" : " (for \"" + locale + "\")") + "\n";
  if (!rendered->subject.empty()) out += "\nSubject: " + rendered->subject + "\n";
  out += "\n" + rendered->text;
  if (out.back() != '\n') out += '\n';
  if (!rendered->html.empty()) out += "\n(an HTML version too: --format html)\n";
  if (!holes.empty()) out += "\nholes:\n";
  for (const runtime::RenderedHole& h : holes) {
    std::string name = h.source.substr(0, h.source.find_first_of(".[("));
    auto from = with_from.find(name);
    out += "  " + h.part + std::string(8 - std::min<size_t>(7, h.part.size()), ' ') + "{" + h.source + "} = " + h.value +
           (from != with_from.end() ? "   (" + from->second + ")" : "") + "\n";
  }
  if (!missing.empty()) {
    out += "\nno value for:";
    for (const std::string& m : missing) out += " {" + m + "}";
    out += "\n(" + std::string(record ? "" : "give the customer with --profile or --customer, and ") +
           "give a send's other fields with --with '{\"name\": value}')\n";
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace tutti::cli

// The e-mail as the relay receives it (runtime/daemon/channels/mime.h).

#include <gtest/gtest.h>

#include "runtime/daemon/channels/mime.h"

namespace tutti::runtime {
namespace {

MailMessage Mail() {
  MailMessage m;
  m.from = "glidim@abc-pharma.example";
  m.to = "naomi.castillo@example.org";
  m.subject = "GLIDIM is covered";
  m.text = "Dear Dr. Castillo,\nGLIDIM is covered.\n";
  m.idempotency_key = "9f354cd68c0eb672";
  return m;
}

TEST(Mime, PrintableSubjectsStayAsTheyAreAndOthersAreEncodedWords) {
  EXPECT_EQ(EncodeHeaderText("GLIDIM dosing"), "GLIDIM dosing");
  EXPECT_EQ(EncodeHeaderText("Café"), "=?UTF-8?B?Q2Fmw6k=?=");
  // A header cannot be ended early: CR and LF never pass through.
  EXPECT_EQ(EncodeHeaderText("a\r\nBcc: x@y"), "=?UTF-8?B?YSAgQmNjOiB4QHk=?=");
  // Long text folds into words of at most 75 characters, never inside a
  // UTF-8 sequence.
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "é";
  std::string encoded = EncodeHeaderText(long_text);
  size_t start = 0;
  int words = 0;
  for (size_t end; start < encoded.size(); start = end == std::string::npos ? encoded.size() : end + 3, ++words) {
    end = encoded.find("\r\n ", start);
    std::string word = encoded.substr(start, end == std::string::npos ? std::string::npos : end - start);
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_EQ(word.rfind("=?UTF-8?B?", 0), 0u) << word;
  }
  EXPECT_EQ(words, 2);
}

TEST(Mime, TextOnlyMailIsOnePartWithItsHeaders) {
  std::string mail = ComposeMail(Mail());
  EXPECT_NE(mail.find("Message-ID: <9f354cd68c0eb672@tutti>\r\n"), std::string::npos) << mail;
  EXPECT_NE(mail.find("List-Unsubscribe: <mailto:glidim@abc-pharma.example?subject=unsubscribe>\r\n"), std::string::npos);
  EXPECT_EQ(mail.find("List-Unsubscribe-Post"), std::string::npos);
  EXPECT_NE(mail.find("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n"
                      "RGVhciBEci4gQ2FzdGlsbG8sDQpHTElESU0gaXMgY292ZXJlZC4NCg==\r\n"),
            std::string::npos)
      << mail;
}

TEST(Mime, HtmlMakesMultipartAlternativeWithTheTextFirst) {
  MailMessage m = Mail();
  m.html = "<p>GLIDIM is covered.</p>";
  m.unsubscribe = "https://abc-pharma.example/unsubscribe";
  std::string mail = ComposeMail(m);
  EXPECT_NE(mail.find("List-Unsubscribe: <https://abc-pharma.example/unsubscribe>\r\n"
                      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
            std::string::npos)
      << mail;
  EXPECT_NE(mail.find("Content-Type: multipart/alternative; boundary=\"=_tutti_9f354cd68c0eb672\"\r\n\r\n"
                      "--=_tutti_9f354cd68c0eb672\r\nContent-Type: text/plain"),
            std::string::npos)
      << mail;
  size_t text = mail.find("text/plain"), html = mail.find("text/html");
  ASSERT_NE(html, std::string::npos);
  EXPECT_LT(text, html);
  EXPECT_NE(mail.rfind("--=_tutti_9f354cd68c0eb672--\r\n"), std::string::npos);
}

TEST(Mime, AddressesCannotBreakOutOfTheirBrackets) {
  MailMessage m = Mail();
  m.to = "x@y>\r\nBcc: <z@w";
  std::string mail = ComposeMail(m);
  EXPECT_NE(mail.find("To: <x@yBcc:z@w>\r\n"), std::string::npos) << mail;
  EXPECT_EQ(mail.find("\r\nBcc"), std::string::npos);
}

}  // namespace
}  // namespace tutti::runtime

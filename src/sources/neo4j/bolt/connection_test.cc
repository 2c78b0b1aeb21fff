// The Bolt transport against a scripted peer on a loopback socket: version negotiation (5.7
// with LOGON, 4.4 with credentials in HELLO and the utc patch), chunking in both directions
// (messages over 64 KiB, NOOP chunks, chunks split at odd places), FAILURE -> RESET.
// The real server is exercised by tests/integration/neo4j_roundtrip_test.cc.
#include "sources/neo4j/bolt/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

namespace summit::sources::neo4j::bolt {
namespace {

class FakeServer {
 public:
  FakeServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~FakeServer() {
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    ::close(listen_fd_);
  }
  // Waits for the script to finish (after the client has disconnected).
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  std::string uri() const { return "bolt://127.0.0.1:" + std::to_string(port_); }

  void Serve(std::function<void(FakeServer&)> script) {
    thread_ = std::thread([this, script] {
      fd_ = ::accept(listen_fd_, nullptr, nullptr);
      script(*this);
    });
  }

  Bytes ReadN(size_t n) {
    Bytes b(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, b.data() + got, n - got, 0);
      if (r <= 0) return {};
      got += static_cast<size_t>(r);
    }
    return b;
  }
  void WriteRaw(const Bytes& b) { (void)::send(fd_, b.data(), b.size(), MSG_NOSIGNAL); }

  // Reads one chunked message: its tag and fields; records the largest chunk seen.
  std::pair<uint8_t, List> ReadMessage() {
    Bytes msg;
    for (;;) {
      Bytes h = ReadN(2);
      if (h.size() != 2) return {0, {}};
      size_t n = (size_t{h[0]} << 8) | h[1];
      if (n == 0) break;
      max_chunk_ = std::max(max_chunk_, n);
      Bytes part = ReadN(n);
      msg.insert(msg.end(), part.begin(), part.end());
    }
    Decoder d(msg);
    auto hdr = d.NextStructHeader();
    List fields;
    for (size_t i = 0; hdr.has_value() && i < hdr->second; ++i) fields.push_back(*d.Next());
    return {hdr.has_value() ? hdr->first : 0, std::move(fields)};
  }

  // Writes a message split into chunks of `chunk` bytes, after a NOOP chunk.
  void WriteMessage(uint8_t tag, const List& fields, size_t chunk = 7) {
    Bytes msg;
    EncodeStructHeader(tag, fields.size(), msg);
    for (const auto& f : fields) Encode(f, msg);
    Bytes out = {0, 0};  // NOOP
    for (size_t off = 0; off < msg.size(); off += chunk) {
      size_t n = std::min(chunk, msg.size() - off);
      out.push_back(static_cast<uint8_t>(n >> 8));
      out.push_back(static_cast<uint8_t>(n));
      out.insert(out.end(), msg.begin() + off, msg.begin() + off + n);
    }
    out.push_back(0);
    out.push_back(0);
    WriteRaw(out);
  }

  Bytes handshake;
  std::vector<std::pair<uint8_t, List>> received;
  size_t max_chunk_ = 0;

 private:
  int listen_fd_ = -1;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

Map M(std::initializer_list<std::pair<const std::string, Value>> kv) { return Map(kv); }

ConnectOptions Options(const FakeServer& s) {
  ConnectOptions o;
  o.uri = s.uri();
  o.user = "neo4j";
  o.password = SecretString("pw");
  o.io_timeout = std::chrono::milliseconds(5000);
  return o;
}

TEST(BoltConnection, Bolt57AuthenticatesWithLogonAndStreamsLargeChunkedMessages) {
  FakeServer s;
  const std::string big(200000, 'x');  // > 3 chunks of 65535
  s.Serve([&](FakeServer& f) {
    f.handshake = f.ReadN(20);
    f.WriteRaw({0, 0, 7, 5});
    f.received.push_back(f.ReadMessage());  // HELLO
    f.WriteMessage(0x70, {Value(M({{"server", Value("Neo4j/fake")}}))});
    f.received.push_back(f.ReadMessage());  // LOGON
    f.WriteMessage(0x70, {Value(Map{})});
    f.received.push_back(f.ReadMessage());  // RUN
    f.WriteMessage(0x70, {Value(M({{"fields", Value(List{Value("x")})}}))});
    f.received.push_back(f.ReadMessage());  // PULL
    f.WriteMessage(0x71, {Value(List{Value(big)})}, 65535);
    f.WriteMessage(0x71, {Value(List{Value(bolt::Date{3})})});
    f.WriteMessage(0x70, {Value(M({{"has_more", Value(false)}}))});
    f.received.push_back(f.ReadMessage());  // GOODBYE
  });
  {
    auto c = Connection::Open(Options(s));
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ((*c)->version().ToString(), "5.7");
    EXPECT_EQ((*c)->server_agent(), "Neo4j/fake");
    EXPECT_TRUE((*c)->utc_datetime());
    Map params;
    params["p"] = Value(big);  // the request is chunked too
    auto rows = (*c)->Query("RETURN $p", params);
    ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0][0].As<std::string>(), big);
    EXPECT_TRUE((*rows)[1][0] == Value(bolt::Date{3}));
  }
  s.Join();
  EXPECT_EQ(s.max_chunk_, 65535u);  // the 200 KB parameter went in full-size chunks
  ASSERT_EQ(s.received.size(), 5u);
  EXPECT_EQ(s.received[1].first, 0x6A);  // LOGON
  EXPECT_EQ(s.received[0].second[0].As<Map>().count("credentials"), 0u);  // not in HELLO from 5.1
  EXPECT_EQ(s.received[3].second[0].As<Map>().at("n").As<int64_t>(), 1000);  // PULL {n}
}

TEST(BoltConnection, HandshakeProposesTheFiveRangeThenFourFour) {
  FakeServer s;
  s.Serve([&](FakeServer& f) {
    f.handshake = f.ReadN(20);
    f.WriteRaw({0, 0, 4, 4});
    f.received.push_back(f.ReadMessage());  // HELLO with credentials
    f.WriteMessage(0x70, {Value(M({{"server", Value("Neo4j/4.4")}, {"patch_bolt", Value(List{Value("utc")})}}))});
    f.received.push_back(f.ReadMessage());  // GOODBYE
  });
  {
    auto c = Connection::Open(Options(s));
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ((*c)->version().ToString(), "4.4");
    EXPECT_TRUE((*c)->utc_datetime());  // the server accepted the utc patch
  }
  s.Join();
  EXPECT_EQ(HexEncode(s.handshake), "6060b017000707050000040400000000" "00000000");
  ASSERT_GE(s.received.size(), 1u);
  EXPECT_EQ(s.received[0].first, 0x01);
  const Map& hello = s.received[0].second[0].As<Map>();
  EXPECT_EQ(hello.at("scheme").As<std::string>(), "basic");
  EXPECT_EQ(hello.at("credentials").As<std::string>(), "pw");
  EXPECT_EQ(hello.at("patch_bolt").As<List>()[0].As<std::string>(), "utc");
}

TEST(BoltConnection, RejectedLoginIsPermissionError) {
  FakeServer s;
  s.Serve([&](FakeServer& f) {
    f.ReadN(20);
    f.WriteRaw({0, 0, 7, 5});
    f.ReadMessage();
    f.WriteMessage(0x70, {Value(Map{})});
    f.ReadMessage();  // LOGON
    f.WriteMessage(0x7F, {Value(M({{"code", Value("Neo.ClientError.Security.Unauthorized")},
                                   {"message", Value("The client is unauthorized")}}))});
  });
  auto c = Connection::Open(Options(s));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kPermission);
  EXPECT_EQ(c.error().message().rfind("authentication failed for user neo4j at " + s.uri(), 0), 0u)
      << c.error().message();
}

TEST(BoltConnection, NoCommonVersionIsUnsupported) {
  FakeServer s;
  s.Serve([&](FakeServer& f) {
    f.ReadN(20);
    f.WriteRaw({0, 0, 0, 0});
  });
  auto c = Connection::Open(Options(s));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kUnsupported);
}

TEST(BoltConnection, QueryFailureIsInvalidInputAndResetsTheConnection) {
  FakeServer s;
  s.Serve([&](FakeServer& f) {
    f.ReadN(20);
    f.WriteRaw({0, 0, 7, 5});
    f.ReadMessage();
    f.WriteMessage(0x70, {Value(Map{})});
    f.ReadMessage();
    f.WriteMessage(0x70, {Value(Map{})});
    f.ReadMessage();  // RUN
    f.WriteMessage(0x7F, {Value(M({{"neo4j_code", Value("Neo.ClientError.Statement.SyntaxError")},
                                   {"message", Value("Invalid input")}}))});
    f.received.push_back(f.ReadMessage());  // RESET
    f.WriteMessage(0x70, {Value(Map{})});
    f.received.push_back(f.ReadMessage());  // GOODBYE
  });
  {
    auto c = Connection::Open(Options(s));
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    auto r = (*c)->Run("RETURN 1 +* 2");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().message().find("Neo.ClientError.Statement.SyntaxError: Invalid input"), std::string::npos);
  }
  s.Join();
  ASSERT_EQ(s.received.size(), 2u);
  EXPECT_EQ(s.received[0].first, 0x0F);  // RESET
  EXPECT_EQ(s.received[1].first, 0x02);  // GOODBYE
}

}  // namespace
}  // namespace summit::sources::neo4j::bolt

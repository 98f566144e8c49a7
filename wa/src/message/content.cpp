#include "wa/message/content.hpp"

#include <initializer_list>

#include "wa/proto/wa.pb.h"

namespace wa::message {

namespace {

using proto::Message;

// Containers nest (an ephemeral view-once edit…); real messages use two or three levels.
constexpr int kMaxUnwrap = 8;

std::vector<std::uint8_t> to_bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

// Peels ephemeral / view-once / document-with-caption / edited wrappers.
const Message* unwrap(const Message* m, Content* out) {
  for (int depth = 0; m && depth < kMaxUnwrap; ++depth) {
    if (m->has_ephemeral_message() && m->ephemeral_message().has_message()) {
      m = &m->ephemeral_message().message();
    } else if (m->has_view_once_message() && m->view_once_message().has_message()) {
      if (out) out->view_once = true;
      m = &m->view_once_message().message();
    } else if (m->has_view_once_message_v2() && m->view_once_message_v2().has_message()) {
      if (out) out->view_once = true;
      m = &m->view_once_message_v2().message();
    } else if (m->has_document_with_caption_message() &&
               m->document_with_caption_message().has_message()) {
      m = &m->document_with_caption_message().message();
    } else if (m->has_edited_message() && m->edited_message().has_message()) {
      if (out) out->edited = true;
      m = &m->edited_message().message();
    } else {
      return m;
    }
  }
  return nullptr;  // deeper than any real message
}

template <typename Media>
MediaDescriptor media_of(const Media& x) {
  MediaDescriptor d;
  d.url = x.url();
  d.direct_path = x.direct_path();
  d.media_key = to_bytes(x.media_key());
  d.file_sha256 = to_bytes(x.file_sha256());
  d.file_enc_sha256 = to_bytes(x.file_enc_sha256());
  d.mimetype = x.mimetype();
  d.file_length = x.file_length();
  return d;
}

const proto::ContextInfo* context_of(const Message& m) {
  if (m.has_extended_text_message() && m.extended_text_message().has_context_info())
    return &m.extended_text_message().context_info();
  if (m.has_image_message() && m.image_message().has_context_info())
    return &m.image_message().context_info();
  if (m.has_video_message() && m.video_message().has_context_info())
    return &m.video_message().context_info();
  if (m.has_audio_message() && m.audio_message().has_context_info())
    return &m.audio_message().context_info();
  if (m.has_document_message() && m.document_message().has_context_info())
    return &m.document_message().context_info();
  if (m.has_sticker_message() && m.sticker_message().has_context_info())
    return &m.sticker_message().context_info();
  if (m.has_location_message() && m.location_message().has_context_info())
    return &m.location_message().context_info();
  if (m.has_contact_message() && m.contact_message().has_context_info())
    return &m.contact_message().context_info();
  const Message::PollCreationMessage* poll =
      m.has_poll_creation_message()      ? &m.poll_creation_message()
      : m.has_poll_creation_message_v2() ? &m.poll_creation_message_v2()
      : m.has_poll_creation_message_v3() ? &m.poll_creation_message_v3()
                                         : nullptr;
  if (poll && poll->has_context_info()) return &poll->context_info();
  return nullptr;
}

// Type, text and media of an unwrapped message.
void read_body(const Message& m, Content& c) {
  if (m.has_conversation()) {
    c.type = ContentType::text;
    c.text = m.conversation();
  } else if (m.has_extended_text_message()) {
    c.type = ContentType::text;
    c.text = m.extended_text_message().text();
  } else if (m.has_image_message()) {
    c.type = ContentType::image;
    c.text = m.image_message().caption();
    c.media = media_of(m.image_message());
  } else if (m.has_video_message()) {
    c.type = ContentType::video;
    c.text = m.video_message().caption();
    c.media = media_of(m.video_message());
  } else if (m.has_audio_message()) {
    c.type = ContentType::audio;
    c.media = media_of(m.audio_message());
  } else if (m.has_document_message()) {
    c.type = ContentType::document;
    c.text = m.document_message().caption();
    c.media = media_of(m.document_message());
    c.media->file_name = m.document_message().file_name();
  } else if (m.has_sticker_message()) {
    c.type = ContentType::sticker;
    c.media = media_of(m.sticker_message());
  } else if (m.has_location_message()) {
    c.type = ContentType::location;
    const auto& l = m.location_message();
    c.text = l.name().empty() ? l.address() : l.name();
  } else if (m.has_contact_message()) {
    c.type = ContentType::contact;
    c.text = m.contact_message().display_name();
  } else if (m.has_reaction_message()) {
    c.type = ContentType::reaction;
    c.text = m.reaction_message().text();
  } else if (m.has_poll_creation_message() || m.has_poll_creation_message_v2() ||
             m.has_poll_creation_message_v3()) {
    c.type = ContentType::poll;
    c.text = m.has_poll_creation_message()      ? m.poll_creation_message().name()
             : m.has_poll_creation_message_v2() ? m.poll_creation_message_v2().name()
                                                : m.poll_creation_message_v3().name();
  } else if (m.has_protocol_message()) {
    c.type = ContentType::protocol;
  } else if (m.unknown_fields().empty()) {
    c.type = ContentType::none;  // e.g. only a sender-key distribution
  } else {
    c.type = ContentType::unknown;
  }
}

}  // namespace

std::string_view to_string(ContentType t) noexcept {
  switch (t) {
    case ContentType::text:
      return "text";
    case ContentType::image:
      return "image";
    case ContentType::document:
      return "document";
    case ContentType::audio:
      return "audio";
    case ContentType::video:
      return "video";
    case ContentType::sticker:
      return "sticker";
    case ContentType::location:
      return "location";
    case ContentType::contact:
      return "contact";
    case ContentType::reaction:
      return "reaction";
    case ContentType::poll:
      return "poll";
    case ContentType::protocol:
      return "protocol";
    case ContentType::none:
      return "none";
    case ContentType::unknown:
      return "unknown";
  }
  return "unknown";
}

Result<Content> parse_content(std::span<const std::uint8_t> bytes) {
  Message root;
  if (!root.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error{Errc::proto_invalid, "Message"};
  }
  Content c;
  const Message* m = &root;
  if (root.has_device_sent_message() && root.device_sent_message().has_message()) {
    c.device_sent_destination = root.device_sent_message().destination_jid();
    m = &root.device_sent_message().message();
  }
  // The distribution sits beside the content, at the top of the (device-sent) message.
  for (const Message* holder : std::initializer_list<const Message*>{&root, m}) {
    if (holder->has_sender_key_distribution_message()) {
      const auto& skdm = holder->sender_key_distribution_message();
      c.sender_key_distribution = SenderKeyDistribution{
          skdm.group_id(), to_bytes(skdm.axolotl_sender_key_distribution_message())};
    }
  }
  m = unwrap(m, &c);
  if (!m) return Error{Errc::proto_invalid, "Message containers nested too deeply"};
  read_body(*m, c);
  if (const auto* ctx = context_of(*m)) {
    c.mentioned_jids.assign(ctx->mentioned_jid().begin(), ctx->mentioned_jid().end());
    if (!ctx->stanza_id().empty()) {
      QuotedMessage q;
      q.id = ctx->stanza_id();
      q.participant = ctx->participant();
      if (ctx->has_quoted_message()) {
        Content inner;
        if (const Message* qm = unwrap(&ctx->quoted_message(), nullptr)) {
          read_body(*qm, inner);
          q.type = inner.type;
          q.text = inner.text;
        }
      }
      c.quoted = std::move(q);
    }
  }
  return c;
}

std::string_view jid_user(std::string_view jid) noexcept {
  auto user = jid.substr(0, jid.find('@'));
  user = user.substr(0, user.find(':'));  // device
  user = user.substr(0, user.find('_'));  // agent / domain suffix
  return user;
}

bool mentions(const std::vector<std::string>& mentioned_jids, std::string_view own_pn_user,
              std::string_view own_lid_user) {
  for (const auto& j : mentioned_jids) {
    auto user = jid_user(j);
    if (user.empty()) continue;
    if ((!own_pn_user.empty() && user == own_pn_user) ||
        (!own_lid_user.empty() && user == own_lid_user)) {
      return true;
    }
  }
  return false;
}

}  // namespace wa::message

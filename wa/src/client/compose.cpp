// The Message protobuf of every outgoing content type (docs/PROTOCOL.md §6.3, §7.4, §8.4): media
// fields from the upload, the caption's ContextInfo (quote, mentions), the stanza's `type` and
// `<enc mediatype>` as WhatsApp Web sets them. Pure functions.
#include <algorithm>
#include <type_traits>
#include <utility>

#include "client/send.hpp"
#include "wa/media/inspect.hpp"
#include "wa/proto/wa.pb.h"

namespace wa::client {

const MediaInput* media_input(const OutgoingMessage& m) noexcept {
  return std::visit(
      [](const auto& c) -> const MediaInput* {
        if constexpr (requires { c.media; }) {
          return &c.media;
        } else {
          return nullptr;
        }
      },
      m);
}

MediaInput* media_input(OutgoingMessage& m) noexcept {
  return const_cast<MediaInput*>(media_input(std::as_const(m)));
}

message::ContentType content_type(const OutgoingMessage& m) noexcept {
  using message::ContentType;
  static constexpr ContentType kTypes[] = {
      ContentType::text,     ContentType::image,   ContentType::video,    ContentType::audio,
      ContentType::document, ContentType::sticker, ContentType::location, ContentType::contact};
  return kTypes[m.index()];
}

std::optional<media::MediaType> media_type(const OutgoingMessage& m) noexcept {
  return media::media_type_of(content_type(m));
}

void complete_media_fields(OutgoingMessage& m) {
  constexpr unsigned kThumbSide = 72;
  std::visit(
      [](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, out::Image> || std::is_same_v<T, out::Sticker>) {
          if ((!x.width || !x.height) && !x.media.bytes.empty()) {
            if (auto info = media::image_info(x.media.bytes)) {
              x.width = info->width;
              x.height = info->height;
            }
          }
        }
        if constexpr (std::is_same_v<T, out::Image>) {
          if (x.jpeg_thumbnail.empty() && !x.media.bytes.empty()) {
            if (auto t = media::jpeg_thumbnail(x.media.bytes, kThumbSide))
              x.jpeg_thumbnail = std::move(*t);
          }
        } else if constexpr (std::is_same_v<T, out::Video>) {
          if (x.jpeg_thumbnail.empty()) {
            unsigned w = kThumbSide, h = kThumbSide;
            if (x.width && x.height) {
              const double s = static_cast<double>(kThumbSide) / std::max(x.width, x.height);
              w = std::max(1u, static_cast<unsigned>(x.width * s));
              h = std::max(1u, static_cast<unsigned>(x.height * s));
            }
            x.jpeg_thumbnail = media::blank_jpeg(w, h);
          }
        } else if constexpr (std::is_same_v<T, out::Document>) {
          if (!x.page_count && !x.media.bytes.empty()) {
            if (auto n = media::pdf_page_count(x.media.bytes)) x.page_count = *n;
          }
        }
      },
      m);
}

}  // namespace wa::client

namespace wa::client::send {

namespace {

using message::ContentType;

std::string bytes(const std::vector<std::uint8_t>& b) {
  return {b.begin(), b.end()};
}

// The quoted message as WhatsApp shows it above the reply: rebuilt from its type and text.
void fill_quoted(proto::Message* q, const SendOptions::Quote& quote) {
  switch (quote.type) {
    case ContentType::image:
      q->mutable_image_message()->set_caption(quote.text);
      break;
    case ContentType::video:
      q->mutable_video_message()->set_caption(quote.text);
      break;
    case ContentType::document:
      q->mutable_document_message()->set_caption(quote.text);
      break;
    case ContentType::audio:
      q->mutable_audio_message();
      break;
    case ContentType::sticker:
      q->mutable_sticker_message();
      break;
    case ContentType::location:
      q->mutable_location_message()->set_name(quote.text);
      break;
    case ContentType::contact:
      q->mutable_contact_message()->set_display_name(quote.text);
      break;
    default:
      q->set_conversation(quote.text);
  }
}

bool has_context(const SendOptions& o) {
  return o.quote || !o.mentions.empty();
}

void fill_context(proto::ContextInfo* ctx, const SendOptions& o) {
  if (o.quote) {
    ctx->set_stanza_id(o.quote->id);
    if (!o.quote->participant.empty()) ctx->set_participant(o.quote->participant);
    fill_quoted(ctx->mutable_quoted_message(), *o.quote);
  }
  for (const auto& j : o.mentions) ctx->add_mentioned_jid(j.to_non_ad().to_string());
}

// The fields every attachment shares, whatever their field numbers in each message type.
template <typename M>
void fill_media(M* m, const media::UploadedMedia& up, const std::string& mimetype) {
  m->set_url(up.url);
  m->set_direct_path(up.direct_path);
  m->set_media_key(bytes(up.media_key));
  m->set_file_sha256(bytes(up.file_sha256));
  m->set_file_enc_sha256(bytes(up.file_enc_sha256));
  m->set_file_length(up.file_length);
  if (up.media_key_timestamp) m->set_media_key_timestamp(up.media_key_timestamp);
  m->set_mimetype(mimetype);
}

}  // namespace

Result<Composed> compose(const OutgoingMessage& msg, const media::UploadedMedia* up,
                         const SendOptions& o) {
  if (media_input(msg) && !up)
    return Error{Errc::invalid_argument, "an attachment must be uploaded before it is composed"};
  proto::Message m;
  Composed c;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, out::Text>) {
          if (!has_context(o)) {
            m.set_conversation(x.text);
          } else {
            auto* ext = m.mutable_extended_text_message();
            ext->set_text(x.text);
            fill_context(ext->mutable_context_info(), o);
          }
        } else if constexpr (std::is_same_v<T, out::Image>) {
          auto* im = m.mutable_image_message();
          fill_media(im, *up, x.mimetype);
          if (!x.caption.empty()) im->set_caption(x.caption);
          if (x.width) im->set_width(x.width);
          if (x.height) im->set_height(x.height);
          if (!x.jpeg_thumbnail.empty()) im->set_jpeg_thumbnail(bytes(x.jpeg_thumbnail));
          if (has_context(o)) fill_context(im->mutable_context_info(), o);
          c.mediatype = "image";
        } else if constexpr (std::is_same_v<T, out::Video>) {
          auto* v = m.mutable_video_message();
          fill_media(v, *up, x.mimetype);
          if (!x.caption.empty()) v->set_caption(x.caption);
          if (x.seconds) v->set_seconds(x.seconds);
          if (x.gif_playback) v->set_gif_playback(true);
          if (x.width) v->set_width(x.width);
          if (x.height) v->set_height(x.height);
          if (!x.jpeg_thumbnail.empty()) v->set_jpeg_thumbnail(bytes(x.jpeg_thumbnail));
          if (has_context(o)) fill_context(v->mutable_context_info(), o);
          c.mediatype = x.gif_playback ? "gif" : "video";
        } else if constexpr (std::is_same_v<T, out::Audio>) {
          auto* a = m.mutable_audio_message();
          fill_media(a, *up, x.mimetype);
          if (x.seconds) a->set_seconds(x.seconds);
          if (x.ptt) a->set_ptt(true);
          if (!x.waveform.empty()) a->set_waveform(bytes(x.waveform));
          if (has_context(o)) fill_context(a->mutable_context_info(), o);
          c.mediatype = x.ptt ? "ptt" : "audio";
        } else if constexpr (std::is_same_v<T, out::Document>) {
          auto* d = m.mutable_document_message();
          fill_media(d, *up, x.mimetype);
          if (!x.file_name.empty()) {
            d->set_file_name(x.file_name);
            d->set_title(x.file_name);
          }
          if (!x.caption.empty()) d->set_caption(x.caption);
          if (x.page_count) d->set_page_count(x.page_count);
          if (!x.jpeg_thumbnail.empty()) d->set_jpeg_thumbnail(bytes(x.jpeg_thumbnail));
          if (has_context(o)) fill_context(d->mutable_context_info(), o);
          c.mediatype = "document";
        } else if constexpr (std::is_same_v<T, out::Sticker>) {
          auto* s = m.mutable_sticker_message();
          fill_media(s, *up, x.mimetype);
          if (x.width) s->set_width(x.width);
          if (x.height) s->set_height(x.height);
          if (x.animated) s->set_is_animated(true);
          if (has_context(o)) fill_context(s->mutable_context_info(), o);
          c.mediatype = "sticker";
        } else if constexpr (std::is_same_v<T, out::Location>) {
          auto* l = m.mutable_location_message();
          l->set_degrees_latitude(x.latitude);
          l->set_degrees_longitude(x.longitude);
          if (!x.name.empty()) l->set_name(x.name);
          if (!x.address.empty()) l->set_address(x.address);
          if (has_context(o)) fill_context(l->mutable_context_info(), o);
        } else if constexpr (std::is_same_v<T, out::Contact>) {
          auto* k = m.mutable_contact_message();
          k->set_display_name(x.display_name);
          k->set_vcard(x.vcard);
          if (has_context(o)) fill_context(k->mutable_context_info(), o);
          c.mediatype = "vcard";
        }
      },
      msg);
  // Attachments and contact cards travel as type=media; text and static locations as text (as
  // WhatsApp Web sends them).
  if (!c.mediatype.empty()) c.stanza_type = "media";
  c.message = m.SerializeAsString();
  return c;
}

}  // namespace wa::client::send

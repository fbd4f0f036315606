//! Content-part constructors, and reading an image file into an `input_image` part.

use std::path::Path;

use base64::Engine;
use serde_json::Map;

use super::ContentPart;
use super::ImageDetail;
use super::InputImage;
use super::TextPart;
use crate::lossless::NullKeys;

/// Error from [`ContentPart::image_file`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageFileError {
    /// The file could not be read: missing or unreadable, not a regular file, or larger than
    /// [`crate::IMAGE_FILE_MAX_BYTES`].
    #[error(transparent)]
    File(#[from] crate::FileReadError),
    /// The MIME type could not be guessed from the extension.
    #[error(
        "cannot guess the image type of {path} (use png, jpg, jpeg, gif or webp, or give the MIME type)"
    )]
    UnknownType {
        /// The path.
        path: std::path::PathBuf,
    },
}

impl TextPart {
    /// A text part.
    pub fn new(text: impl Into<String>) -> Self {
        TextPart {
            text: text.into(),
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }
}

impl InputImage {
    /// An image part for `image_url` (an `https://` or `data:` URL).
    pub fn new(image_url: impl Into<String>) -> Self {
        InputImage {
            image_url: image_url.into(),
            detail: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }

    /// Sets the detail level.
    #[must_use]
    pub fn with_detail(mut self, detail: ImageDetail) -> Self {
        self.detail = Some(detail);
        self
    }
}

impl ContentPart {
    /// An `input_text` part.
    pub fn input_text(text: impl Into<String>) -> Self {
        ContentPart::InputText(TextPart::new(text))
    }

    /// An `output_text` part.
    pub fn output_text(text: impl Into<String>) -> Self {
        ContentPart::OutputText(TextPart::new(text))
    }

    /// An `input_image` part from a URL (`https://…` or `data:…`).
    pub fn image_url(url: impl Into<String>) -> Self {
        ContentPart::InputImage(InputImage::new(url))
    }

    /// An `input_image` part carrying `bytes` as a `data:<mime>;base64,…` URL.
    pub fn image_bytes(bytes: &[u8], mime: &str) -> Self {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        ContentPart::image_url(format!("data:{mime};base64,{b64}"))
    }

    /// An `input_image` part read from a file, as a data URL, with the MIME type guessed
    /// from the extension (`png`, `jpg`/`jpeg`, `gif`, `webp`) unless `mime` is given.
    ///
    /// The file is read with [`crate::read_regular_file`]: only a regular file of at most
    /// [`crate::IMAGE_FILE_MAX_BYTES`] (20 MiB) is read (a FIFO or a device is refused
    /// without blocking). This and that function are the crate's only IO, which the caller
    /// asks for explicitly; use [`ContentPart::image_bytes`] to stay IO-free.
    pub fn image_file(path: impl AsRef<Path>, mime: Option<&str>) -> Result<Self, ImageFileError> {
        let path = path.as_ref();
        let mime = match mime {
            Some(m) => m.to_owned(),
            None => mime_from_extension(path)
                .ok_or_else(|| ImageFileError::UnknownType {
                    path: path.to_owned(),
                })?
                .to_owned(),
        };
        let bytes = crate::read_regular_file(path, crate::IMAGE_FILE_MAX_BYTES)?;
        Ok(ContentPart::image_bytes(&bytes, &mime))
    }

    /// The text of a text-like part (`input_text`, `output_text`, `summary_text`,
    /// `reasoning_text`, `text`, `refusal`).
    pub fn text(&self) -> Option<&str> {
        match self {
            ContentPart::InputText(t)
            | ContentPart::OutputText(t)
            | ContentPart::SummaryText(t)
            | ContentPart::ReasoningText(t)
            | ContentPart::Text(t) => Some(&t.text),
            ContentPart::Refusal(r) => Some(&r.refusal),
            _ => None,
        }
    }
}

fn mime_from_extension(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

DROP TABLE attachment_releases;
DROP TABLE attachments;
DROP TABLE file_contents;

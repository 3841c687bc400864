"""A plain, hand-written Seq2SeqTrainer run: the reference for benchmarks/train_throughput.py.

Same tiny model, data and hyperparameters as the summtrain side; prints train_samples_per_second.

    python benchmarks/plain_seq2seq.py OUTPUT_DIR MAX_STEPS BATCH_SIZE
"""

import json
import sys

from datasets import load_dataset
from transformers import (AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq, Seq2SeqTrainer,
                          Seq2SeqTrainingArguments)

from summtrain import assets


def main() -> None:
    output_dir, max_steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    tokenizer = AutoTokenizer.from_pretrained(assets.MODEL_DIR)
    model = AutoModelForSeq2SeqLM.from_pretrained(assets.MODEL_DIR)
    train = load_dataset("json", data_files={"train": str(assets.data_file("train"))}, split="train")

    def preprocess(batch_rows):
        inputs = tokenizer(batch_rows["article"], max_length=96, truncation=True)
        inputs["labels"] = tokenizer(text_target=batch_rows["summary"], max_length=24, truncation=True)["input_ids"]
        return inputs

    train = train.map(preprocess, batched=True, remove_columns=train.column_names)
    args = Seq2SeqTrainingArguments(output_dir=output_dir, per_device_train_batch_size=batch, max_steps=max_steps,
                                    learning_rate=3e-3, save_strategy="no", report_to="none", disable_tqdm=True,
                                    logging_steps=50, seed=42)
    trainer = Seq2SeqTrainer(model=model, args=args, train_dataset=train, processing_class=tokenizer,
                             data_collator=DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100))
    metrics = trainer.train().metrics
    print(json.dumps({"train_samples_per_second": metrics["train_samples_per_second"]}))


if __name__ == "__main__":
    main()
